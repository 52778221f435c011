"""Handlers for the queue's tests, a job held in progress, and small readers of Redis."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import redis as redis_py

from jobs.client import WAKE_UP
from jobs.worker import Worker

# wait_for(predicate, timeout=5.0): the fixture of tests/jobs/conftest.py.
WaitFor = Callable[..., None]


class Recorder:
    """A handler that records each payload it is given, then runs then(payload) if set."""

    def __init__(self, then: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.payloads: list[dict[str, Any]] = []  # list.append is atomic: safe from threads
        self.then = then

    def handle(self, payload: dict[str, Any]) -> None:
        self.payloads.append(payload)
        if self.then is not None:
            self.then(payload)


class Failing(Recorder):
    """A handler that records the payload, then raises RuntimeError(message)."""

    def __init__(self, message: str = "boom") -> None:
        super().__init__()
        self.message = message

    def handle(self, payload: dict[str, Any]) -> None:
        super().handle(payload)
        raise RuntimeError(self.message)


class Blocking:
    """A handler that runs until released: a job held in progress for as long as a test needs."""

    def __init__(self) -> None:
        self.running = threading.Event()
        self.release = threading.Event()

    def handle(self, payload: dict[str, Any]) -> None:
        """Say it is running, then wait to be released (10 s at most)."""
        self.running.set()
        self.release.wait(10)


@contextmanager
def job_in_progress(
    redis: redis_py.Redis, prefix: str, queue: str, handler: str
) -> Iterator[Worker]:
    """Run a real worker in a thread on queue until it is running a job of handler; stop after."""
    blocking = Blocking()
    worker = Worker(redis, {handler: blocking}, prefix=prefix)
    with ThreadPoolExecutor(max_workers=1) as pool:
        finished = pool.submit(worker.run, queue)
        try:
            assert blocking.running.wait(10), "the worker took the job"
            yield worker
        finally:
            worker.stop()
            blocking.release.set()
            finished.result(timeout=10)


def list_jobs(redis: redis_py.Redis, key: str) -> list[dict[str, Any]]:
    """Parse every job JSON in a list, head first (skipping wake-up markers)."""
    return [json.loads(raw) for raw in redis.lrange(key, 0, -1) if raw != WAKE_UP]


def list_ids(redis: redis_py.Redis, key: str) -> list[str]:
    """The ids of the jobs in a list, head first."""
    return [job["id"] for job in list_jobs(redis, key)]
