"""RQ with its SimpleWorker (jobs run in the worker process, no fork per job)."""

from __future__ import annotations

import os

import redis
import rq

from bench.recorder import REDIS_ENV, Recorder
from bench.systems import System, python_command

RECORDER = Recorder.from_env()  # set in the worker process only
QUEUE = "bench"


def bench_task(kind: str, stamp: float) -> None:
    """The no-op job."""
    assert RECORDER is not None
    RECORDER.job(kind, stamp)


class RQSystem(System):
    name = "rq"
    label = "RQ (SimpleWorker)"
    delivery = "at-least-once"

    def __init__(self, redis_url: str) -> None:
        super().__init__(redis_url)
        self.redis = redis.Redis.from_url(redis_url)
        self.queue = rq.Queue(QUEUE, connection=self.redis)

    def enqueue(self, kind: str, stamp: float) -> None:
        self.queue.enqueue(bench_task, kind, stamp)

    def worker_command(self, burst: bool) -> list[str]:
        return python_command("bench.peers.worker", "rq")

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "rq": rq.__version__}

    def close(self) -> None:
        self.redis.close()


def work() -> None:
    """Run a SimpleWorker on the queue until stopped."""
    client = redis.Redis.from_url(os.environ[REDIS_ENV])
    worker = rq.SimpleWorker([rq.Queue(QUEUE, connection=client)], connection=client)
    worker.work(logging_level="WARNING")
