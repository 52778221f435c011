"""Dramatiq with its Redis broker: one worker process with 8 threads (its CLI's default)."""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from bench.recorder import REDIS_ENV, Recorder
from bench.systems import System, python_command

RECORDER = Recorder.from_env()  # set in the worker process only
THREADS = 8

dramatiq.set_broker(RedisBroker(url=os.environ[REDIS_ENV]))


@dramatiq.actor(actor_name="bench")
def bench_task(kind: str, stamp: float) -> None:
    """The no-op job."""
    assert RECORDER is not None
    RECORDER.job(kind, stamp)


class DramatiqSystem(System):
    name = "dramatiq"
    label = f"Dramatiq (1 process x {THREADS} threads)"
    delivery = "at-least-once"

    def enqueue(self, kind: str, stamp: float) -> None:
        bench_task.send(kind, stamp)

    def worker_command(self, burst: bool) -> list[str]:
        return python_command("dramatiq", "bench.peers.dramatiq_peer", "--processes", "1",
                              "--threads", str(THREADS))

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "dramatiq": dramatiq.__version__}

