"""arq: asyncio, Redis only; its worker polls the queue every poll_delay (10 ms here)."""

from __future__ import annotations

import os
from typing import Any

import arq
from arq.connections import RedisSettings, create_pool
from arq.worker import Worker, func

from bench.peers.aio import LoopRunner
from bench.recorder import REDIS_ENV, Recorder
from bench.systems import System, python_command

RECORDER = Recorder.from_env()  # set in the worker process only
POLL_DELAY_SECONDS = 0.01  # arq's default is 0.5 s


async def bench_task(ctx: dict[str, Any], kind: str, stamp: float) -> None:
    """The no-op job."""
    assert RECORDER is not None
    RECORDER.job(kind, stamp)


class ArqSystem(System):
    name = "arq"
    label = f"arq (poll {POLL_DELAY_SECONDS * 1000:g} ms)"
    delivery = "at-least-once"

    def __init__(self, redis_url: str) -> None:
        super().__init__(redis_url)
        self.runner = LoopRunner()
        self.pool = self.runner.run(create_pool(RedisSettings.from_dsn(redis_url)))

    def enqueue(self, kind: str, stamp: float) -> None:
        self.runner.run(self.pool.enqueue_job("bench", kind, stamp))

    def enqueue_each(self, kind: str, count: int) -> None:
        self.runner.run_each(self.pool.enqueue_job, count, "bench", kind, 0.0)

    def worker_command(self, burst: bool) -> list[str]:
        return python_command("bench.peers.worker", "arq")

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "arq": arq.VERSION}

    def close(self) -> None:
        self.runner.run(self.pool.aclose())
        self.runner.close()


def work() -> None:
    """Run an arq worker until stopped."""
    worker = Worker(functions=[func(bench_task, name="bench")],
                    redis_settings=RedisSettings.from_dsn(os.environ[REDIS_ENV]),
                    poll_delay=POLL_DELAY_SECONDS)
    worker.run()
