"""The project's queue under test: `JobQueue.dispatch` in, `jobs.Worker` out.

Besides what every system gets, it measures what only it promises: the bulk
path, delayed jobs' lateness, memory with many delayed jobs waiting, and 4 workers vs 2.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from bench import latency
from bench.drain import DRAIN_TIMEOUT_SECONDS, summarise
from bench.pinning import pinned_apart
from bench.processes import serving_worker, start_worker, stop_worker, wait_for_result
from bench.queue_worker import GO_KEY, HANDLER, QUEUE, READY_KEY
from bench.recorder import rss_mb
from bench.serving import measure_serving
from bench.systems import Settings, System, python_command
from jobs import Job, JobQueue, connect

WAITING_DELAY_SECONDS = 3600.0  # the waiting delayed jobs fall due long after the run
WORKER_COUNTS = (2, 4)
# dispatch and a bare RPUSH take turns in chunks this size, so both see the same load.
TURN_JOBS = 500


class QueueSystem(System):
    """jobs.JobQueue and jobs.Worker: reliable fetch, job state, retries."""

    name = "queue"
    label = "this project (jobs.Worker)"
    delivery = "at-least-once"
    result_at_exit = True

    def __init__(self, redis_url: str) -> None:
        super().__init__(redis_url)
        self.redis = connect(redis_url)
        self.queue = JobQueue(self.redis)

    def enqueue(self, kind: str, stamp: float) -> None:
        self.queue.dispatch(QUEUE, HANDLER, {"kind": kind, "stamp": stamp})

    def enqueue_delayed(self, delay_seconds: float, stamp: float) -> None:
        """Queue one latency job to run delay_seconds from now."""
        self.queue.dispatch(QUEUE, HANDLER, {"kind": "latency", "stamp": stamp},
                            delay=delay_seconds)

    def worker_command(self, burst: bool) -> list[str]:
        return python_command("bench.queue_worker", *(["--burst"] if burst else []))

    def extras(self, client: redis.Redis, settings: Settings) -> dict[str, Any]:
        # One connection each, so pinned, as the enqueue of every system is (bench.measure).
        with pinned_apart(client) as pinning:
            dispatch_vs_rpush = self.measure_dispatch_vs_rpush(client, settings.jobs)
            dispatch_many = self.measure_dispatch_many(client, settings.jobs)
        return {
            "dispatch_vs_rpush": {**dispatch_vs_rpush, "pinned": pinning},
            "dispatch_many": dispatch_many,
            **self.measure_delayed(client, settings),
            "workers": {str(n): self.measure_workers(client, settings, n) for n in WORKER_COUNTS},
            "serving": measure_serving(self.queue, client, settings, wait_until_blocked),
        }

    def measure_dispatch_vs_rpush(self, client: redis.Redis, jobs: int) -> dict[str, Any]:
        """dispatch against a bare redis-py RPUSH of a job's JSON, taking turns, 1 call/job."""
        client.flushdb()
        bare = redis.Redis.from_url(self.redis_url)
        raw = Job(handler=HANDLER, payload={"kind": "drain", "stamp": 0.0}, queue=QUEUE).to_json()
        payload = {"kind": "drain", "stamp": 0.0}
        seconds = {"dispatch": 0.0, "rpush": 0.0}
        for _ in range(max(1, jobs // TURN_JOBS)):
            started = time.perf_counter()
            for _ in range(TURN_JOBS):
                self.queue.dispatch(QUEUE, HANDLER, payload)
            seconds["dispatch"] += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(TURN_JOBS):
                bare.rpush("bench:bare", raw)
            seconds["rpush"] += time.perf_counter() - started
        bare.close()
        client.flushdb()
        calls = max(1, jobs // TURN_JOBS) * TURN_JOBS
        return {
            "dispatch_jobs_per_second": calls / seconds["dispatch"],
            "rpush_jobs_per_second": calls / seconds["rpush"],
            "ratio": seconds["rpush"] / seconds["dispatch"],
        }

    def measure_dispatch_many(self, client: redis.Redis, jobs: int) -> dict[str, Any] | None:
        """Jobs per second through JobQueue.dispatch_many, if the queue has one (else None)."""
        dispatch_many = getattr(self.queue, "dispatch_many", None)
        if dispatch_many is None:
            return None
        client.flushdb()
        payloads = [{"kind": "drain", "stamp": 0.0} for _ in range(jobs)]
        started = time.perf_counter()
        dispatch_many(QUEUE, HANDLER, payloads)
        seconds = time.perf_counter() - started
        queued = client.llen(f"queue:{QUEUE}")
        client.flushdb()
        return {"jobs_per_second": jobs / seconds, "queued": queued}

    def measure_delayed(self, client: redis.Redis, settings: Settings) -> dict[str, Any]:
        """Lateness of delayed jobs, then the worker's RSS before and with many waiting."""
        client.flushdb()
        with serving_worker(self.worker_command(burst=False), settings.workdir,
                            "queue-delayed", settings.redis_url) as worker:
            # Jobs due while the worker is still starting would measure its start-up.
            wait_until_blocked(client)
            lateness = latency.measure_lateness(self.enqueue_delayed, client, settings)
            time.sleep(settings.settle_seconds)
            idle_mb = rss_mb(worker.pid)
            for _ in range(settings.waiting):
                self.enqueue_delayed(WAITING_DELAY_SECONDS, 0.0)
            time.sleep(settings.settle_seconds)  # a few turns of the worker's loop
            waiting_mb = rss_mb(worker.pid)
        return {
            "delayed_lateness": lateness,
            "rss_idle_mb": idle_mb,
            "rss_with_delayed_waiting_mb": waiting_mb,
            "delayed_waiting": settings.waiting,
        }

    def measure_workers(self, client: redis.Redis, settings: Settings, count: int
                        ) -> dict[str, Any]:
        """Drain scale_jobs jobs with count worker processes that start together."""
        client.flushdb()
        self.enqueue_each("drain", settings.scale_jobs)
        command = [*self.worker_command(burst=True), "--barrier"]
        paths = [settings.workdir / f"queue-x{count}-{i}.json" for i in range(count)]
        logs = [path.with_suffix(".log") for path in paths]
        for path in paths:
            path.unlink(missing_ok=True)
        processes = [start_worker(command, log, settings.redis_url, path)
                     for path, log in zip(paths, logs, strict=True)]
        try:
            release_when_ready(client, count)
            results = [wait_for_result(path, process, log, DRAIN_TIMEOUT_SECONDS)
                       for path, process, log in zip(paths, processes, logs, strict=True)]
        finally:
            for process in processes:
                stop_worker(process)
        return {"processes": count, "jobs": settings.scale_jobs, **summarise(results)}

    def close(self) -> None:
        self.redis.close()


def release_when_ready(client: redis.Redis, count: int, timeout_seconds: float = 60.0) -> None:
    """Wait until count workers said ready, then tell them all to go."""
    deadline = time.monotonic() + timeout_seconds
    while client.llen(READY_KEY) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{count} workers not ready within {timeout_seconds:g} s")
        time.sleep(0.01)  # polling a condition with a deadline
    client.delete(READY_KEY)
    client.rpush(GO_KEY, *["go"] * count)


def wait_until_blocked(client: redis.Redis, timeout_seconds: float = 30.0) -> None:
    """Wait until a worker is blocked waiting for a job (its BZPOPMIN shows in CLIENT LIST)."""
    deadline = time.monotonic() + timeout_seconds
    while not any(c.get("cmd") == "bzpopmin" for c in client.client_list()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no worker waiting for a job after {timeout_seconds:g} s")
        time.sleep(0.005)  # polling a condition with a deadline
