"""Handlers for the queue's tests, a job held in progress, and small readers of Redis."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import redis as redis_py

from jobs import Job, JobQueue, JobState, Keys
from jobs.scripts import Call
from jobs.worker import Worker

# make_worker(handlers, **options) and start_worker(worker, queue): tests/jobs/conftest.py.
MakeWorker = Callable[..., Worker]
StartWorker = Callable[..., Future[dict[str, int]]]
# What Worker.run returns when it did nothing.
NO_COUNTS = {"processed": 0, "retried": 0, "failed": 0}


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


class Stubborn(Recorder):
    """A CPU-bound handler that runs until an event no one sets (10 s at most), after then()."""

    def __init__(self, then: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__(then)
        self.never = threading.Event()
        self.finished = False

    def handle(self, payload: dict[str, Any]) -> None:
        super().handle(payload)
        guard = time.monotonic() + 10.0
        while not self.never.is_set() and time.monotonic() < guard:
            pass  # busy work: only a signal can interrupt it
        self.finished = True


class Working(Recorder):
    """A CPU-bound handler that works for `seconds`, after then()."""

    def __init__(self, seconds: float, then: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(then)
        self.seconds = seconds
        self.finished = False

    def handle(self, payload: dict[str, Any]) -> None:
        super().handle(payload)
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            pass  # the job's slow work
        self.finished = True


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


def hold_jobs(redis: redis_py.Redis, prefix: str, worker_id: str, jobs: list[Job]) -> None:
    """Queue jobs and move them into worker_id's processing list, attempts counted, as a
    fetch would: a worker holding jobs (and, unless it beats, a dead one)."""
    client, keys = JobQueue(redis, prefix).client, Keys(prefix)
    for job in jobs:
        client.enqueue(job)
        redis.lmove(keys.queue(job.queue), keys.processing(job.queue, worker_id), "LEFT", "RIGHT")
    client.scripts.run([Call("start", [keys.job(job.queue, job.id)],
                             [repr(time.time()), worker_id, job.attempts]) for job in jobs])


def list_jobs(redis: redis_py.Redis, key: str) -> list[dict[str, Any]]:
    """Parse every job JSON in a list, head first."""
    return [json.loads(raw) for raw in redis.lrange(key, 0, -1)]


def list_ids(redis: redis_py.Redis, key: str) -> list[str]:
    """The ids of the jobs in a list, head first."""
    return [job["id"] for job in list_jobs(redis, key)]


def state_of(job_queue: JobQueue, job_id: str, queue: str = "default") -> JobState:
    """The state of a job of queue that Redis knows."""
    (state,) = job_queue.states([(queue, job_id)])
    assert state is not None, f"Redis knows job {job_id}"
    return state


def states_of(job_queue: JobQueue, job_ids: list[str], queue: str = "default") -> list[JobState]:
    """The states of jobs of queue that Redis knows, in order."""
    states = job_queue.states([(queue, job_id) for job_id in job_ids])
    assert None not in states, "Redis knows every job"
    return [state for state in states if state]


def exited(future: Future[Any]) -> Callable[[], str | None]:
    """A give_up for tests.waiting.wait_for: the worker thread behind future has returned."""

    def reason() -> str | None:
        if not future.done():
            return None
        error = future.exception()
        return f"the worker exited: {error!r}" if error else "the worker exited"

    return reason


def blocked_waiting(redis: redis_py.Redis) -> bool:
    """Whether a client of this Redis is blocked on queue markers now (a worker waiting)."""
    return any(c["cmd"] == "bzpopmin" and "b" in c["flags"] for c in redis.client_list())
