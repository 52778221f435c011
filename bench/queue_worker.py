"""The benchmark's worker process for the project's queue: `jobs.Worker` with a no-op handler.

`python -m bench.queue_worker [--burst] [--barrier]`, started by the benchmark, which
passes where to report in the environment (see bench.recorder). --barrier: say "ready",
then wait for "go", so that several workers start draining together.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import Any

import redis

from bench import roundtrips
from bench.recorder import Recorder
from jobs import Worker, connect

QUEUE = "bench"
HANDLER = "bench"
READY_KEY = "bench:ready"
GO_KEY = "bench:go"
BARRIER_TIMEOUT_SECONDS = 60


class NoOp:
    """The no-op job: the recorder counts it, or reports its latency."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def handle(self, payload: dict[str, Any]) -> None:
        self.recorder.job(payload["kind"], payload["stamp"])


def wait_for_go(client: redis.Redis) -> None:
    """Say this worker is ready, then wait until the benchmark says go."""
    client.rpush(READY_KEY, os.getpid())
    if client.blpop([GO_KEY], timeout=BARRIER_TIMEOUT_SECONDS) is None:
        sys.exit(f"no go within {BARRIER_TIMEOUT_SECONDS} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    parser.add_argument("--barrier", action="store_true", help="wait for the benchmark's go")
    parser.add_argument("--queue", action="append", help="a queue to serve, in order; repeatable")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    recorder = Recorder.from_env()
    if recorder is None:
        sys.exit("bench.queue_worker is started by the benchmark (BENCH_RESULT is unset)")
    client = connect(recorder.redis_url)
    worker = Worker(client, {HANDLER: NoOp(recorder)})
    if args.barrier:
        wait_for_go(client)
    roundtrips.reset()
    started = time.perf_counter()
    worker.run(args.queue or QUEUE, burst=args.burst)
    recorder.finish(run_seconds=time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
