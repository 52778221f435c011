"""The dashboard's snapshot of the queue: each place counted, workers, delayed, failed, rate."""

from __future__ import annotations

import time

import pytest
import redis as redis_py

from jobs import JobQueue, Keys, Worker
from shop.queue_stats import read_snapshot
from shop.throughput import jobs_per_second
from tests.shop.support import job_in_progress

QUEUES = ["payments", "emails", "reports"]


def test_a_snapshot_counts_every_queue_in_every_place(redis: redis_py.Redis, prefix: str) -> None:
    queue = JobQueue(redis, prefix)
    # Given a job that failed for good (no handler for it) ...
    failed_id = queue.dispatch("emails", "no_such_handler", {"order_id": 7})
    Worker(redis, {}, prefix=prefix).run(["emails"], burst=True)
    # ... one delayed a minute, two waiting, and one a worker is running
    delayed_id = queue.dispatch("emails", "order_confirmation", {"order_id": 8}, delay=60)
    queue.dispatch("payments", "process_payment", {"order_id": 1})
    queue.dispatch("payments", "process_payment", {"order_id": 2})
    running_id = queue.dispatch("reports", "generate_report", {"order_id": 3})
    with job_in_progress(redis, prefix, "reports", "generate_report") as worker:
        # When the dashboard reads the queue
        snapshot = read_snapshot(redis, Keys(prefix), QUEUES)

    # Then each queue's jobs are counted where they are
    depths = {d.name: (d.waiting, d.delayed, d.in_progress, d.failed) for d in snapshot.depths}
    assert depths == {"payments": (2, 0, 0, 0), "emails": (0, 1, 0, 1), "reports": (0, 0, 1, 0)}
    # And the running worker shows with its current job and a fresh heartbeat
    [shown] = snapshot.workers
    assert shown.id == worker.worker_id
    assert shown.current_job is not None and shown.current_job.id == running_id
    assert shown.heartbeat_age_seconds < 5
    # And the delayed job with its due time, the failed one with its error and data
    [(delayed, due_at)] = snapshot.delayed
    assert delayed.id == delayed_id and 55 < due_at - time.time() <= 60
    [failed] = snapshot.failed
    assert (failed.id, failed.error, failed.data) == (
        failed_id, "Unknown handler: no_such_handler", '{"order_id": 7}'
    )
    # And the workers' per-minute counters count the failure
    assert sum(snapshot.throughput.failed) == 1
    assert len(snapshot.throughput.minutes) == 30


def test_malformed_data_in_the_failed_list_is_shown_as_it_came(
    redis: redis_py.Redis, prefix: str
) -> None:
    redis.rpush(Keys(prefix).queue("payments"), "not json {")
    Worker(redis, {}, prefix=prefix).run(["payments"], burst=True)

    snapshot = read_snapshot(redis, Keys(prefix), QUEUES)

    [failed] = snapshot.failed
    assert failed.id is None
    assert failed.data == "not json {"
    assert failed.error is not None and failed.error.startswith("Malformed job")


@pytest.mark.parametrize(
    ("processed", "failed", "seconds_into_minute", "expected"),
    [
        ([0, 0], [0, 0], 30, 0.0),
        ([60, 0], [0, 0], 0, 1.0),  # the previous minute, all of it still within the last 60 s
        ([60, 0], [0, 0], 30, 0.5),  # half of it
        ([0, 30], [0, 30], 45, 1.0),  # this minute's, succeeded and failed alike
    ],
)
def test_jobs_per_second_spreads_the_previous_minute_evenly(
    processed: list[int], failed: list[int], seconds_into_minute: float, expected: float
) -> None:
    assert jobs_per_second(processed, failed, 600 * 60 + seconds_into_minute) == expected
