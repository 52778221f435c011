"""JobQueue.snapshot and .workers: each place counted, workers, delayed, failed, throughput."""

from __future__ import annotations

import time

import redis as redis_py

from jobs import JobQueue, Keys, Worker, WorkerRegistry
from jobs.snapshot import LIST_LIMIT
from tests.jobs.support import job_in_progress

QUEUES = ["payments", "emails", "reports"]


def test_a_snapshot_counts_every_queue_in_every_place(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job that failed for good (no handler for it) ...
    failed_id = job_queue.dispatch("emails", "no_such_handler", {"order_id": 7})
    Worker(redis, {}, prefix=prefix).run(["emails"], burst=True)
    # ... one delayed a minute, two waiting, and one a worker is running
    delayed_id = job_queue.dispatch("emails", "order_confirmation", {"order_id": 8}, delay=60)
    job_queue.dispatch("payments", "process_payment", {"order_id": 1})
    job_queue.dispatch("payments", "process_payment", {"order_id": 2})
    running_id = job_queue.dispatch("reports", "generate_report", {"order_id": 3})
    with job_in_progress(redis, prefix, "reports", "generate_report") as worker:
        # When a dashboard reads the queue
        snapshot = job_queue.snapshot(QUEUES)

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
    assert not snapshot.truncated


def test_malformed_data_in_the_failed_list_is_shown_as_it_came(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    redis.rpush(Keys(prefix).queue("payments"), "not json {")
    Worker(redis, {}, prefix=prefix).run(["payments"], burst=True)

    snapshot = job_queue.snapshot(QUEUES)

    [failed] = snapshot.failed
    assert failed.id is None
    assert failed.data == "not json {"
    assert failed.error is not None and failed.error.startswith("Malformed job")


def test_past_the_list_limit_the_split_by_queue_says_it_is_truncated(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    redis.rpush(Keys(prefix).failed(QUEUES[0]), *(["not a job"] * (LIST_LIMIT + 1)))

    snapshot = job_queue.snapshot(QUEUES)

    assert snapshot.truncated
    assert (snapshot.failed_total, len(snapshot.failed)) == (LIST_LIMIT + 1, LIST_LIMIT)


def test_a_snapshot_is_two_round_trips_however_many_workers(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str, round_trips: list[bytes]
) -> None:
    for name in ("w1", "w2", "w3"):
        WorkerRegistry(redis, Keys(prefix), name, max_recoveries=3).register(QUEUES)
    job_queue.dispatch("payments", "process_payment", {})
    round_trips.clear()

    snapshot = job_queue.snapshot(QUEUES)

    assert len(round_trips) == 2
    assert len(snapshot.workers) == 3


def test_workers_reads_each_workers_current_job_and_heartbeat(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    running_id = job_queue.dispatch("reports", "generate_report", {})
    with job_in_progress(redis, prefix, "reports", "generate_report") as worker:
        [shown] = job_queue.workers()

    assert shown.id == worker.worker_id
    assert shown.current_job is not None and shown.current_job.id == running_id
    assert shown.queues == ["reports"]
    assert 0 <= shown.heartbeat_age_seconds < 5
