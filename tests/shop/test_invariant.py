"""The demo's invariant: every job is in exactly one place, checked in one snapshot."""

from __future__ import annotations

import redis as redis_py

from jobs import JobQueue, Keys, Worker
from shop.invariant import check_invariant
from tests.shop.support import job_in_progress

QUEUES = ["payments", "emails", "reports"]


class Succeeds:
    def handle(self, payload: dict[str, object]) -> None:
        """Do nothing, successfully."""


def test_jobs_in_each_place_are_each_in_exactly_one(redis: redis_py.Redis, prefix: str) -> None:
    queue = JobQueue(redis, prefix)
    done = queue.dispatch("emails", "fine", {})
    failed = queue.dispatch("emails", "no_such_handler", {})
    Worker(redis, {"fine": Succeeds()}, prefix=prefix).run(["emails"], burst=True)
    waiting = queue.dispatch("payments", "process_payment", {})
    delayed = queue.dispatch("emails", "fine", {}, delay=60)
    running = queue.dispatch("reports", "slow", {})
    with job_in_progress(redis, prefix, "reports", "slow"):
        check = check_invariant(redis, Keys(prefix), [done, failed, waiting, delayed, running],
                                QUEUES)

    assert check.ok, check
    assert {job.job_id: job.places for job in check.jobs} == {
        done: ["succeeded"], failed: ["failed"], waiting: ["waiting"], delayed: ["delayed"],
        running: ["in progress"],
    }
    assert check.round_trips == 2


def test_a_job_in_two_places_or_in_none_is_reported(redis: redis_py.Redis, prefix: str) -> None:
    # Given a job copied onto a second queue, and one whose JSON was lost from its queue
    keys = Keys(prefix)
    queue = JobQueue(redis, prefix)
    copied = queue.dispatch("payments", "process_payment", {})
    redis.rpush(keys.queue("emails"), redis.lindex(keys.queue("payments"), 0) or "")
    lost = queue.dispatch("reports", "generate_report", {})
    redis.rpop(keys.queue("reports"))

    check = check_invariant(redis, keys, [copied, lost], QUEUES)

    assert not check.ok
    assert {job.job_id: job.places for job in check.violations} == {
        copied: ["waiting", "waiting"], lost: [],
    }


def test_a_job_deleted_from_the_failed_list_is_left_out(
    redis: redis_py.Redis, prefix: str
) -> None:
    queue = JobQueue(redis, prefix)
    gone = queue.dispatch("emails", "no_such_handler", {})
    Worker(redis, {}, prefix=prefix).run(["emails"], burst=True)
    queue.delete_failed(gone)

    check = check_invariant(redis, Keys(prefix), [gone], QUEUES)

    assert check.ok and check.jobs == []
