"""Celery with the solo pool (jobs in the worker process) and acks_late (at-least-once)."""

from __future__ import annotations

import os

import celery

from bench.recorder import REDIS_ENV, Recorder
from bench.systems import System, python_command

RECORDER = Recorder.from_env()  # set in the worker process only

app = celery.Celery("bench", broker=os.environ[REDIS_ENV])
app.conf.update(
    task_acks_late=True,  # acknowledge after the job ran: at-least-once
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(name="bench")
def bench_task(kind: str, stamp: float) -> None:
    """The no-op job."""
    assert RECORDER is not None
    RECORDER.job(kind, stamp)


class CelerySystem(System):
    name = "celery"
    label = "Celery (solo pool, acks_late)"
    delivery = "at-least-once"

    def enqueue(self, kind: str, stamp: float) -> None:
        bench_task.delay(kind, stamp)

    def worker_command(self, burst: bool) -> list[str]:
        return python_command("bench.peers.worker", "celery")

    def versions(self) -> dict[str, str]:
        return {**super().versions(), "celery": celery.__version__}


def work() -> None:
    """Run a worker with the solo pool; gossip, mingle and event heartbeats off (one worker)."""
    app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING", "--without-gossip",
                     "--without-mingle", "--without-heartbeat"])
