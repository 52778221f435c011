"""One worker serving one queue or three: pick-up, delayed-job lateness, idle commands.

A worker on several queues blocks on all of them at once, so serving more queues should
cost nothing: each row here is measured on a worker serving 1 queue and on one serving 3,
with every job dispatched onto the last of its queues (the one a worker taking turns
between its queues would reach last).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import redis

from bench import latency
from bench.processes import serving_worker
from bench.queue_worker import HANDLER, QUEUE
from bench.systems import Settings, python_command
from jobs import JobQueue

SERVED = {"1 queue": [QUEUE], "3 queues": [f"{QUEUE}-first", f"{QUEUE}-second", QUEUE]}
DISPATCH_GAP_SECONDS = 0.010  # jobs dispatched 10 ms apart, whatever the worker does
# How long the idle worker's commands are counted, in settle_seconds: at the defaults 10 s,
# long enough to include its heartbeats (every 10 s) and reaper turns.
IDLE_SETTLES = 5


def measure_serving(
    queue: JobQueue, client: redis.Redis, settings: Settings,
    wait_until_blocked: Callable[[redis.Redis], None],
) -> dict[str, Any]:
    """Each row of the table, for a worker serving each of SERVED's queue lists."""
    return {name: measure_one(queue, client, settings, queues, wait_until_blocked)
            for name, queues in SERVED.items()}


def measure_one(
    queue: JobQueue, client: redis.Redis, settings: Settings, queues: Sequence[str],
    wait_until_blocked: Callable[[redis.Redis], None],
) -> dict[str, Any]:
    client.flushdb()
    command = python_command("bench.queue_worker", *(f"--queue={name}" for name in queues))
    last = queues[-1]
    with serving_worker(command, settings.workdir, f"queue-serving-{len(queues)}",
                        settings.redis_url):
        wait_until_blocked(client)
        idle = idle_commands_per_second(client, IDLE_SETTLES * settings.settle_seconds)
        for _ in range(latency.WARM_UP_JOBS):  # the worker's first jobs load its scripts
            queue.dispatch(last, HANDLER, {"kind": "latency", "stamp": time.time()})
            latency.next_latency(client, latency.FIRST_JOB_TIMEOUT_SECONDS)
        pickup = dispatched_apart(queue, client, last, settings.samples // 4)

        def dispatch_delayed(delay_seconds: float, stamp: float) -> None:
            queue.dispatch(last, HANDLER, {"kind": "latency", "stamp": stamp}, delay=delay_seconds)

        lateness = latency.measure_lateness(dispatch_delayed, client, settings)
    client.flushdb()
    return {"idle_commands_per_second": idle, "pickup": pickup, "delayed_lateness": lateness}


def idle_commands_per_second(client: redis.Redis, seconds: float) -> float:
    """Commands Redis processed per second while only the idle worker is connected."""
    before = int(client.info("stats")["total_commands_processed"])
    time.sleep(seconds)  # the measurement's span: the worker runs on its own meanwhile
    after = int(client.info("stats")["total_commands_processed"])
    return (after - before - 1) / seconds  # less the first INFO itself


def dispatched_apart(queue: JobQueue, client: redis.Redis, name: str, jobs: int
                     ) -> dict[str, Any]:
    """Dispatch jobs DISPATCH_GAP_SECONDS apart onto one queue; dispatch-to-start times."""
    due = time.perf_counter()
    for _ in range(jobs):
        queue.dispatch(name, HANDLER, {"kind": "latency", "stamp": time.time()})
        due += DISPATCH_GAP_SECONDS
        time.sleep(max(0.0, due - time.perf_counter()))  # the schedule, not a wait for work
    samples = [latency.next_latency(client, latency.JOB_TIMEOUT_SECONDS) for _ in range(jobs)]
    return latency.percentiles(samples)


def serving_lines(serving: dict[str, Any]) -> list[str]:
    """The table of one worker serving 1 queue or 3, from the medians of the rounds."""
    rows = [
        "| one worker serving | pick-up p50 / p99 ms (jobs 10 ms apart) "
        "| delayed-job lateness p99 ms | Redis commands/s while idle |",
        "| --- | --- | ---: | ---: |",
    ]
    for name, row in serving.items():
        rows.append(
            f"| {name} | {row['pickup']['p50_ms']:.2f} / {row['pickup']['p99_ms']:.2f} "
            f"| {row['delayed_lateness']['p99_ms']:.2f} | {row['idle_commands_per_second']:.1f} |"
        )
    return rows
