"""FailedList: retrying and purging the failed list's entries, each atomically."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis as redis_py

from jobs import FailedList, Job, JobNotFound, JobQueue, Keys, WorkerRegistry, connect
from jobs.fetch import Fetcher
from jobs.outcomes import Attempt, Fail
from jobs.scripts import Scripts
from tests.jobs.support import list_jobs, state_of

WORKER = "w1"


QUEUES = ["default"]


@pytest.fixture
def failed_list(redis: redis_py.Redis, keys: Keys) -> FailedList:
    return FailedList(redis, keys)


def failed_job(redis: redis_py.Redis, keys: Keys, queue: str = "default") -> Job:
    """A job that failed for good on its first attempt, as its worker records it."""
    JobQueue(redis, keys.prefix).client.enqueue(Job("send_email", {"order_id": 7}, queue))
    registry = WorkerRegistry(redis, keys, WORKER, max_recoveries=3)
    fetcher = Fetcher(redis, keys, registry, threading.Event(), block_timeout=0.05,
                      prefetch_seconds=0.02, max_prefetch=1)
    (taken,) = fetcher.fetch([queue], wait=False)
    assert taken.job is not None, "the data taken is a job"
    attempt = Attempt(taken.raw, taken.job, WORKER, 1.0, 2.0)
    Scripts(redis).run([Fail(attempt, "RuntimeError: x").call(keys)])
    return taken.job


def test_a_failed_entry_is_the_job_with_its_error_and_when_it_failed(
    failed_list: FailedList, redis: redis_py.Redis, keys: Keys
) -> None:
    job = failed_job(redis, keys)

    assert failed_list.entries(QUEUES) == [
        {**job.to_dict(), "error": "RuntimeError: x", "failed_at": 2.0}
    ]
    assert failed_list.find(job.id, QUEUES) == failed_list.entries(QUEUES)[0]


def test_retry_queues_the_job_again_with_attempts_reset(
    failed_list: FailedList, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job of emails that failed on its first attempt
    job = failed_job(redis, keys, "emails")

    # When it is retried
    failed_list.retry(job.id, ["emails"])

    # Then it left the failed list, and is queued as new
    assert failed_list.entries(["emails"]) == [], "the failed list is empty"
    (queued,) = list_jobs(redis, keys.queue("emails"))
    assert (queued["id"], queued["attempts"]) == (job.id, 0)
    state = state_of(job_queue, job.id, "emails")
    assert (state.state, state.attempts, state.error, state.finished_at) == (
        "queued",
        0,
        None,
        None,
    )


def test_retrying_a_failed_job_twice_queues_it_once(
    failed_list: FailedList, redis: redis_py.Redis, keys: Keys
) -> None:
    job = failed_job(redis, keys)
    failed_list.retry(job.id, QUEUES)

    with pytest.raises(JobNotFound, match=f"No failed job with id {job.id}"):
        failed_list.retry(job.id, QUEUES)

    assert redis.llen(keys.queue("default")) == 1, "the job is queued once"


def test_concurrent_retries_of_a_failed_job_queue_it_once(
    redis: redis_py.Redis, redis_url: str, keys: Keys
) -> None:
    # Given a failed job
    job = failed_job(redis, keys)
    start = threading.Barrier(4)

    def retry() -> bool:
        with connect(redis_url) as own_redis:
            failed_list = FailedList(own_redis, keys)
            start.wait(timeout=5)
            try:
                failed_list.retry(job.id, QUEUES)
            except JobNotFound:
                return False
            return True

    # When four people, each on their own connection, retry it at once
    with ThreadPoolExecutor(4) as pool:
        retried = [future.result() for future in [pool.submit(retry) for _ in range(4)]]

    # Then one retry queued it, and the others found nothing to retry
    assert sorted(retried) == [False, False, False, True]
    assert redis.llen(keys.queue("default")) == 1, "the job is queued once"


def test_purge_deletes_the_entries_and_their_state(
    failed_list: FailedList, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a failed job and data that was not a job
    job = failed_job(redis, keys)
    redis.rpush(keys.failed("default"), '{"raw": "x"}')

    # When the failed list is purged
    purged = failed_list.purge(QUEUES)

    # Then both entries are gone, and the job's state too
    assert purged == 2
    assert failed_list.entries(QUEUES) == [], "the failed list is empty"
    assert redis.exists(keys.job(job.queue, job.id)) == 0, "the job's state is gone"
    assert failed_list.purge(QUEUES) == 0, "nothing left to purge"


def test_delete_drops_one_entry_and_its_state(
    failed_list: FailedList, redis: redis_py.Redis, keys: Keys
) -> None:
    dropped, kept = failed_job(redis, keys), failed_job(redis, keys)

    failed_list.delete(dropped.id, QUEUES)

    assert [entry["id"] for entry in failed_list.entries(QUEUES)] == [kept.id]
    assert redis.exists(keys.job(dropped.queue, dropped.id)) == 0, "the dropped job's state is gone"
    with pytest.raises(JobNotFound):
        failed_list.delete(dropped.id, QUEUES)
