"""Fixtures for the queue's tests: key names, a JobQueue, burst-mode workers, threads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import redis as redis_py

from jobs import JobHandler, JobQueue, Keys, Worker


@pytest.fixture
def keys(prefix: str) -> Keys:
    """The key names under the test's own prefix."""
    return Keys(prefix)


@pytest.fixture
def job_queue(redis: redis_py.Redis, prefix: str) -> JobQueue:
    """A JobQueue on the test's own prefix."""
    return JobQueue(redis, prefix=prefix)


@pytest.fixture
def make_worker(redis: redis_py.Redis, prefix: str) -> Callable[..., Worker]:
    """make_worker(handlers, **kwargs): a Worker on the test's prefix, quick to retry and stop."""

    def make(handlers: dict[str, JobHandler], **kwargs: Any) -> Worker:
        options: dict[str, Any] = {
            "retry_base": 0.01,
            "retry_jitter": 0.0,
            "block_timeout": 0.1,
            **kwargs,
        }
        return Worker(redis, handlers, prefix=prefix, **options)

    return make


@pytest.fixture
def start_worker() -> Iterator[Callable[..., Future[dict[str, int]]]]:
    """start_worker(worker, queue): run it in a thread (no signal handlers there); stop it after.

    The future's result is what run() returned, or the exception it raised.
    """
    started: list[tuple[Worker, Future[dict[str, int]]]] = []
    with ThreadPoolExecutor() as pool:

        def start(worker: Worker, queue: str | Sequence[str] = "default") -> Future[dict[str, int]]:
            future = pool.submit(worker.run, queue)
            started.append((worker, future))
            return future

        yield start
        for worker, future in started:
            worker.stop()
            future.result(timeout=5)


@pytest.fixture
def round_trips(redis: redis_py.Redis, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every request sent to Redis from now on (a pipeline is one), from this test's thread."""
    redis.ping()  # connect now, so the connection handshake is not counted
    sent: list[bytes] = []
    connection_class = redis.connection_pool.connection_class
    send = connection_class.send_packed_command

    def counting_send(self: Any, command: Any, check_health: bool = True) -> None:
        sent.append(command)
        send(self, command, check_health)

    monkeypatch.setattr(connection_class, "send_packed_command", counting_send)
    return sent
