"""JobQueue.check_invariant: every job is in exactly one place, checked in one snapshot."""

from __future__ import annotations

import redis as redis_py

from jobs import JobQueue, Keys, Worker
from jobs.snapshot import LIST_LIMIT
from tests.jobs.support import job_in_progress

QUEUES = ["payments", "emails", "reports"]


class Succeeds:
    def handle(self, payload: dict[str, object]) -> None:
        """Do nothing, successfully."""


def test_jobs_in_each_place_are_each_in_exactly_one(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    done = job_queue.dispatch("emails", "fine", {})
    failed = job_queue.dispatch("emails", "no_such_handler", {})
    Worker(redis, {"fine": Succeeds()}, prefix=prefix).run(["emails"], burst=True)
    waiting = job_queue.dispatch("payments", "process_payment", {})
    delayed = job_queue.dispatch("emails", "fine", {}, delay=60)
    running = job_queue.dispatch("reports", "slow", {})
    with job_in_progress(redis, prefix, "reports", "slow"):
        check = job_queue.check_invariant([done, failed, waiting, delayed, running], QUEUES)

    assert check.ok, check
    assert {job.job_id: job.places for job in check.jobs} == {
        done: ["succeeded"], failed: ["failed"], waiting: ["waiting"], delayed: ["delayed"],
        running: ["in progress"],
    }
    assert check.round_trips == 2


def test_a_job_in_two_places_or_in_none_is_reported(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job copied onto a second queue, and one whose JSON was lost from its queue
    keys = Keys(prefix)
    copied = job_queue.dispatch("payments", "process_payment", {})
    redis.rpush(keys.queue("emails"), redis.lindex(keys.queue("payments"), 0) or "")
    lost = job_queue.dispatch("reports", "generate_report", {})
    redis.rpop(keys.queue("reports"))

    check = job_queue.check_invariant([copied, lost], QUEUES)

    assert not check.ok
    assert {job.job_id: job.places for job in check.violations} == {
        copied: ["waiting", "waiting"], lost: [],
    }


def test_a_job_deleted_from_the_failed_list_is_left_out(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    gone = job_queue.dispatch("emails", "no_such_handler", {})
    Worker(redis, {}, prefix=prefix).run(["emails"], burst=True)
    job_queue.delete_failed(gone)

    check = job_queue.check_invariant([gone], QUEUES)

    assert check.ok and check.jobs == []


def test_a_list_past_the_limit_is_not_checked(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    job_id = job_queue.dispatch("payments", "process_payment", {})
    redis.rpush(Keys(prefix).failed("emails"), *(["not a job"] * (LIST_LIMIT + 1)))

    check = job_queue.check_invariant([job_id], QUEUES)

    assert not check.ok
    assert check.unchecked == f"a list holds over {LIST_LIMIT} jobs"
