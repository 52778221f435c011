"""SAQ: asyncio, Redis; its worker waits on the queue with a blocking move (BLMOVE)."""

from __future__ import annotations

import asyncio
import os
from importlib.metadata import version
from typing import Any

import saq

from bench.peers.aio import LoopRunner
from bench.recorder import REDIS_ENV, Recorder
from bench.systems import System, python_command

RECORDER = Recorder.from_env()  # set in the worker process only
QUEUE = "bench"


async def bench_task(ctx: dict[str, Any], *, kind: str, stamp: float) -> None:
    """The no-op job."""
    assert RECORDER is not None
    RECORDER.job(kind, stamp)


class SaqSystem(System):
    name = "saq"
    label = "SAQ (concurrency 10)"
    delivery = "at-least-once"

    def __init__(self, redis_url: str) -> None:
        super().__init__(redis_url)
        self.runner = LoopRunner()
        self.queue = saq.Queue.from_url(redis_url, name=QUEUE)
        self.runner.run(self.queue.connect())

    def enqueue(self, kind: str, stamp: float) -> None:
        self.runner.run(self.queue.enqueue("bench_task", kind=kind, stamp=stamp))

    def enqueue_each(self, kind: str, count: int) -> None:
        self.runner.run_each(self.queue.enqueue, count, "bench_task", kind=kind, stamp=0.0)

    def worker_command(self, burst: bool) -> list[str]:
        return python_command("bench.peers.worker", "saq")

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "saq": version("saq")}

    def close(self) -> None:
        self.runner.run(self.queue.disconnect())
        self.runner.close()


def work() -> None:
    """Run a SAQ worker (its default concurrency, 10) until stopped."""

    async def main() -> None:
        queue = saq.Queue.from_url(os.environ[REDIS_ENV], name=QUEUE)
        await saq.Worker(queue, functions=[bench_task]).start()

    asyncio.run(main())
