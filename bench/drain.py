"""Drain: how fast one (or more) worker processes empty a queue of no-op jobs."""

from __future__ import annotations

import time
from typing import Any

import redis

from bench import commandstats, roundtrips
from bench.processes import start_worker, stop_worker, wait_for_result
from bench.systems import Settings, System

DRAIN_TIMEOUT_SECONDS = 300.0


def measure_enqueue(system: System, client: redis.Redis, jobs: int) -> dict[str, Any]:
    """Queue jobs no-op jobs, one call each, timed; they stay queued for measure_drain."""
    before = commandstats.snapshot(client)
    round_trips = roundtrips.count()
    started = time.perf_counter()
    system.enqueue_each("drain", jobs)
    seconds = time.perf_counter() - started
    return {
        "jobs_per_second": jobs / seconds,
        "round_trips_per_job": (roundtrips.count() - round_trips) / jobs,
        **commandstats.per_job(before, commandstats.snapshot(client), jobs),
    }


def measure_drain(system: System, client: redis.Redis, settings: Settings) -> dict[str, Any]:
    """Start one worker on the queued jobs; time it from first job to last, in the worker."""
    result_path = settings.workdir / f"{system.name}-drain.json"
    log_path = settings.workdir / f"{system.name}-drain.log"
    result_path.unlink(missing_ok=True)
    before = commandstats.snapshot(client)
    expect = 0 if system.result_at_exit else settings.jobs
    process = start_worker(system.worker_command(burst=True), log_path, settings.redis_url,
                           result_path, expect)
    try:
        result = wait_for_result(result_path, process, log_path, DRAIN_TIMEOUT_SECONDS)
        after = commandstats.snapshot(client)
    finally:
        stop_worker(process)
    if result["jobs"] != settings.jobs:
        raise RuntimeError(f"{system.name}: ran {result['jobs']} of {settings.jobs} jobs")
    return {**summarise([result]), **commandstats.per_job(before, after, settings.jobs)}


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Jobs per second of workers draining one queue together: all jobs over the span from
    the first job any of them started to the last job any of them finished."""
    jobs = sum(r["jobs"] for r in results)
    started = min(r["first_started"] for r in results if r["jobs"])
    finished = max(r["last_finished"] for r in results if r["jobs"])
    summary = {
        "jobs_per_second": jobs / (finished - started),
        "seconds": finished - started,
        "round_trips_per_job": sum(r["round_trips"] for r in results) / jobs,
        "rss_mb": max(r["rss_mb"] for r in results),
    }
    if "run_seconds" in results[0]:
        summary["run_seconds"] = max(r["run_seconds"] for r in results)
    return summary
