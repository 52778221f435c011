"""Latency: how soon an idle worker starts a job, and how late delayed jobs start."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis

from bench.recorder import LATENCY_KEY
from bench.systems import Settings, System

WARM_UP_JOBS = 20
FIRST_JOB_TIMEOUT_SECONDS = 60.0  # a worker's start-up (Celery's takes a second or two)
JOB_TIMEOUT_SECONDS = 10.0
# After each job, let the worker finish its bookkeeping and block on the queue again,
# so every sample measures an idle worker.
IDLE_GAP_SECONDS = 0.005


def percentiles(samples_seconds: Sequence[float]) -> dict[str, Any]:
    """p50 and p99 in milliseconds (p99 by the inclusive method of statistics.quantiles)."""
    if len(samples_seconds) < 2:
        only = samples_seconds[0] * 1000 if samples_seconds else float("nan")
        return {"p50_ms": only, "p99_ms": only, "samples": len(samples_seconds)}
    cuts = statistics.quantiles(samples_seconds, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000,
            "samples": len(samples_seconds)}


def next_latency(client: redis.Redis, timeout_seconds: float) -> float:
    """Wait for the next latency a worker reports; seconds."""
    reply = client.blpop([LATENCY_KEY], timeout=timeout_seconds)
    if reply is None:
        raise TimeoutError(f"no job ran within {timeout_seconds:g} s")
    return float(reply[1])


def measure_pickup(system: System, client: redis.Redis, settings: Settings) -> dict[str, Any]:
    """Enqueue one job at a time to an idle (already running) worker; enqueue-to-start time."""
    samples = []
    for i in range(WARM_UP_JOBS + settings.samples):
        system.enqueue("latency", time.time())
        timeout = FIRST_JOB_TIMEOUT_SECONDS if i == 0 else JOB_TIMEOUT_SECONDS
        latency = next_latency(client, timeout)
        if i >= WARM_UP_JOBS:
            samples.append(latency)
        time.sleep(IDLE_GAP_SECONDS)
    return percentiles(samples)


def measure_lateness(
    enqueue_delayed: Callable[[float, float], None], client: redis.Redis, settings: Settings,
) -> dict[str, Any]:
    """Enqueue delayed jobs due in 0..max_delay seconds; how long after its due time each started.

    enqueue_delayed(delay_seconds, due_at) queues one latency job with stamp due_at.
    """
    rng = random.Random(6)
    for _ in range(settings.delayed):
        delay = rng.uniform(0.0, settings.max_delay_seconds)
        enqueue_delayed(delay, time.time() + delay)
    timeout = settings.max_delay_seconds + JOB_TIMEOUT_SECONDS
    lateness = [next_latency(client, timeout) for _ in range(settings.delayed)]
    return percentiles(lateness)
