"""Handlers for the queue's tests, and small readers of what a test left in Redis."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import redis as redis_py

from jobs.client import WAKE_UP

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


def list_jobs(redis: redis_py.Redis, key: str) -> list[dict[str, Any]]:
    """Parse every job JSON in a list, head first (skipping wake-up markers)."""
    return [json.loads(raw) for raw in redis.lrange(key, 0, -1) if raw != WAKE_UP]


def list_ids(redis: redis_py.Redis, key: str) -> list[str]:
    """The ids of the jobs in a list, head first."""
    return [job["id"] for job in list_jobs(redis, key)]
