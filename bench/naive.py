"""The lesson's naive queue in Python: RPUSH a JSON job, BLPOP it and json.loads it.

At-most-once: a job popped by a worker that dies is gone. The yardstick for speed, since
nothing can do less per job. `python -m bench.naive` runs its worker loop.
"""

from __future__ import annotations

import json
import sys
import time
import uuid

import redis

from bench.recorder import Recorder
from bench.systems import System, python_command

QUEUE = "queue:bench"
POP_TIMEOUT_SECONDS = 5  # the lesson's worker: blPop($queue, 5)


class NaiveSystem(System):
    """QueueClient::push and pop from the lesson, nothing more."""

    name = "naive"
    label = "the lesson's loop (RPUSH / BLPOP)"
    delivery = "at-most-once"

    def __init__(self, redis_url: str) -> None:
        super().__init__(redis_url)
        self.redis = redis.Redis.from_url(redis_url)

    def enqueue(self, kind: str, stamp: float) -> None:
        job = {"id": uuid.uuid4().hex, "payload": {"kind": kind, "stamp": stamp},
               "created_at": time.time()}
        self.redis.rpush(QUEUE, json.dumps(job))

    def worker_command(self, burst: bool) -> list[str]:
        return python_command("bench.naive")

    def close(self) -> None:
        self.redis.close()


def work(client: redis.Redis, recorder: Recorder) -> None:
    """The lesson's worker loop: pop, decode, run; forever (stopped by a signal)."""
    while True:
        reply = client.blpop([QUEUE], timeout=POP_TIMEOUT_SECONDS)
        if reply is None:
            continue
        job = json.loads(reply[1])
        recorder.job(job["payload"]["kind"], job["payload"]["stamp"])


def main() -> int:
    recorder = Recorder.from_env()
    if recorder is None:
        sys.exit("bench.naive is started by the benchmark (BENCH_RESULT is unset)")
    work(redis.Redis.from_url(recorder.redis_url), recorder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
