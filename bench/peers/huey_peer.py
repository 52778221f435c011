"""Huey with its Redis storage and one worker thread; at-most-once (a popped job is gone)."""

from __future__ import annotations

import os

import huey

from bench.recorder import REDIS_ENV, Recorder
from bench.systems import System, python_command

RECORDER = Recorder.from_env()  # set in the worker process only

queue = huey.RedisHuey("bench", url=os.environ[REDIS_ENV])


@queue.task()
def bench_task(kind: str, stamp: float) -> None:
    """The no-op job."""
    assert RECORDER is not None
    RECORDER.job(kind, stamp)


class HueySystem(System):
    name = "huey"
    label = "Huey (1 thread)"
    delivery = "at-most-once"

    def enqueue(self, kind: str, stamp: float) -> None:
        bench_task(kind, stamp)

    def worker_command(self, burst: bool) -> list[str]:
        return python_command("bench.peers.worker", "huey")

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "huey": huey.__version__}


def work() -> None:
    """Run the consumer with one worker thread."""
    queue.create_consumer(workers=1, worker_type="thread").run()
