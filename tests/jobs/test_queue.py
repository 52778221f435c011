"""JobQueue: dispatch, delayed jobs on their own queues, and reading what became of jobs."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis as redis_py

from jobs import JobNotFound, JobQueue, Keys, Worker, connect
from tests.jobs.support import Failing, Recorder, list_ids, list_jobs
from tests.waiting import wait_for


def due_at(job_queue: JobQueue, job_id: str, queue: str = "default") -> float:
    (state,) = job_queue.states([(queue, job_id)])
    assert state is not None and state.due_at is not None
    return state.due_at


def test_dispatch_returns_a_128_bit_hex_id(job_queue: JobQueue) -> None:
    job_id = job_queue.dispatch("default", "send_email", {"order_id": 7})

    assert re.fullmatch(r"[0-9a-f]{32}", job_id)


def test_dispatch_queues_the_job_on_its_queue(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    before = time.time()

    job_id = job_queue.dispatch("emails", "send_email", {"order_id": 7})

    (job,) = list_jobs(redis, keys.queue("emails"))
    assert before <= job.pop("created_at") <= time.time()
    assert job == {
        "id": job_id,
        "handler": "send_email",
        "payload": {"order_id": 7},
        "attempts": 0,
        "queue": "emails",
    }


@pytest.mark.parametrize("payload", [[1, 2], "order 7", None, 7])
def test_a_payload_that_is_not_a_dict_is_refused(job_queue: JobQueue, payload: Any) -> None:
    with pytest.raises(TypeError, match="payload must be a dict"):
        job_queue.dispatch("default", "send_email", payload)


@pytest.mark.parametrize("delay", [0, 60])
@pytest.mark.parametrize(
    ("queue", "handler", "message"),
    [
        ("no spaces", "send_email", "Invalid queue name"),
        ("failed", "send_email", "reserved"),
        ("default", "", "handler must be a non-empty string"),
    ],
)
def test_bad_dispatches_are_refused_and_write_nothing(
    job_queue: JobQueue,
    redis: redis_py.Redis,
    prefix: str,
    queue: str,
    handler: str,
    message: str,
    delay: float,
) -> None:
    with pytest.raises(ValueError, match=message):
        job_queue.dispatch(queue, handler, {}, delay=delay)

    assert list(redis.scan_iter(match=f"{prefix}*")) == []


def test_a_delayed_job_is_not_on_its_queue_before_it_is_due(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    job_id = job_queue.dispatch("emails", "send_email", {}, delay=60)

    moved = job_queue.migrate_delayed(["emails"])

    assert moved == 0
    assert list_ids(redis, keys.queue("emails")) == []
    assert redis.zcard(keys.delayed("emails")) == 1
    (state,) = job_queue.states([("emails", job_id)])
    assert state is not None and state.state == "delayed"


def test_due_jobs_move_to_their_own_queues_not_default(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a delayed job for each of two queues
    email = job_queue.dispatch("emails", "send_email", {}, delay=0.05)
    report = job_queue.dispatch("reports", "build_report", {}, delay=0.05)

    # When they fall due and a worker serving both migrates them
    def all_migrated() -> bool:
        job_queue.migrate_delayed(["default", "emails", "reports"])
        return redis.zcard(keys.delayed("emails")) + redis.zcard(keys.delayed("reports")) == 0

    wait_for(all_migrated, "both delayed jobs to be migrated")

    # Then each is on its own queue (the lesson put them all on default)
    assert list_ids(redis, keys.queue("emails")) == [email]
    assert list_ids(redis, keys.queue("reports")) == [report]
    assert list_ids(redis, keys.queue("default")) == []


def test_migrate_delayed_returns_how_many_moved(job_queue: JobQueue) -> None:
    ids = [job_queue.dispatch("emails", "send_email", {}, delay=0.01) for _ in range(3)]
    wait_for(lambda: time.time() > due_at(job_queue, ids[-1], "emails"), "the jobs to fall due")

    assert job_queue.migrate_delayed(["emails"]) == 3


def test_a_due_job_of_a_queue_the_caller_does_not_serve_stays_delayed(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a due job for the reports queue
    job_id = job_queue.dispatch("reports", "build_report", {}, delay=0.01)
    wait_for(lambda: time.time() > due_at(job_queue, job_id, "reports"), "the job to fall due")

    # When a caller serving only emails migrates
    moved = job_queue.migrate_delayed(["emails"])

    # Then the job waits for a worker that serves reports
    assert moved == 0
    assert redis.zcard(keys.delayed("reports")) == 1
    assert list_ids(redis, keys.queue("reports")) == []
    assert job_queue.migrate_delayed(["reports"]) == 1


def test_due_jobs_of_other_queues_do_not_starve_the_callers_own(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given 1,000 due jobs for reports (no worker serves it now), then one due email
    with redis.pipeline(transaction=False) as pipe:
        for n in range(1000):
            job = {"id": f"{n:032x}", "handler": "h", "payload": {}, "queue": "reports"}
            pipe.zadd(keys.delayed("reports"), {json.dumps(job): time.time() - 1})
        pipe.execute()
    email = job_queue.dispatch("emails", "send_email", {}, delay=0.01)
    wait_for(lambda: time.time() > due_at(job_queue, email, "emails"), "the email to fall due")

    # When a worker serving emails migrates
    moved = job_queue.migrate_delayed(["emails"])

    # Then the email is on its queue
    assert moved == 1
    assert list_ids(redis, keys.queue("emails")) == [email]


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '{"id": "x"}'])
def test_a_due_entry_that_is_not_a_job_goes_to_the_failed_list(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys, raw: str
) -> None:
    # Given data that is not a job in the delayed set, due
    redis.zadd(keys.delayed("default"), {raw: 1.0})

    # When it is migrated, and a worker takes it
    moved = job_queue.migrate_delayed(["default"])
    counts = Worker(redis, {}, prefix=keys.prefix).run(["default"], burst=True)

    # Then it is in the failed list, as it came, with the reason
    assert (moved, counts["failed"]) == (1, 1)
    assert redis.zcard(keys.delayed("default")) == 0
    (entry,) = job_queue.failed(queues=["default"])
    assert entry["raw"] == raw
    assert entry["error"].startswith("Malformed job")


def test_four_migrating_workers_move_each_due_job_exactly_once(
    job_queue: JobQueue, redis: redis_py.Redis, redis_url: str, prefix: str, keys: Keys
) -> None:
    # Given 1,000 jobs for two queues, all due at the same instant
    ids = {job_queue.dispatch(("a", "b")[n % 2], "h", {}, delay=60) for n in range(1000)}
    for queue in ("a", "b"):
        delayed = keys.delayed(queue)
        redis.zadd(delayed, dict.fromkeys(redis.zrange(delayed, 0, -1), time.time()), xx=True)
    start = threading.Barrier(4)

    def migrate() -> int:
        with connect(redis_url) as own_redis:
            queue = JobQueue(own_redis, prefix)
            start.wait(timeout=5)
            # A few calls each: enough to move 1,000, and bounded, so a bug fails, not hangs.
            return sum(queue.migrate_delayed(["a", "b"]) for _ in range(3))

    # When four workers, each with its own connection, migrate at once
    with ThreadPoolExecutor(4) as pool:
        moved = [future.result() for future in [pool.submit(migrate) for _ in range(4)]]

    # Then every job is on its own queue exactly once, and none is left delayed
    on_queues = list_jobs(redis, keys.queue("a")) + list_jobs(redis, keys.queue("b"))
    assert sum(moved) == 1000
    assert Counter(job["id"] for job in on_queues) == Counter(ids)
    assert {job["queue"] for job in list_jobs(redis, keys.queue("a"))} == {"a"}
    assert {job["queue"] for job in list_jobs(redis, keys.queue("b"))} == {"b"}
    assert redis.zcard(keys.delayed("a")) + redis.zcard(keys.delayed("b")) == 0


def test_states_reads_every_job_in_one_round_trip(
    job_queue: JobQueue, round_trips: list[bytes]
) -> None:
    queued = job_queue.dispatch("default", "send_email", {})
    delayed = job_queue.dispatch("default", "send_email", {}, delay=60)
    round_trips.clear()

    states = job_queue.states([("default", job_id) for job_id in (queued, "0" * 32, delayed)])

    assert len(round_trips) == 1
    assert [state and (state.id, state.state, state.handler) for state in states] == [
        (queued, "queued", "send_email"),
        None,
        (delayed, "delayed", "send_email"),
    ]


def test_failed_returns_the_parsed_entries_oldest_first(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    entries = [{"id": "1", "error": "a", "failed_at": 1.0}, {"raw": "x", "error": "b"}]
    redis.rpush(keys.failed("default"), *map(json.dumps, entries))

    assert job_queue.failed(queues=["default"]) == entries
    assert job_queue.failed(1, 1, queues=["default"]) == entries[1:]


# The failed list: inspect, retry, delete and purge.


@pytest.fixture
def fail_jobs(make_worker: Callable[..., Worker], job_queue: JobQueue) -> Callable[..., list[str]]:
    """fail_jobs(handler, count, queue="default"): dispatch jobs that fail at once; their ids."""

    def fail(handler: str, count: int = 1, queue: str = "default") -> list[str]:
        ids = [job_queue.dispatch(queue, handler, {"n": n}) for n in range(count)]
        make_worker({handler: Failing(f"{handler} broke")}, max_attempts=1).run(queue, burst=True)
        return ids

    return fail


FailJobs = Callable[..., list[str]]


def test_failed_job_returns_one_jobs_entry(job_queue: JobQueue, fail_jobs: FailJobs) -> None:
    (job_id,) = fail_jobs("pay")

    entry = job_queue.failed_job(job_id)

    assert (entry["id"], entry["handler"], entry["payload"]) == (job_id, "pay", {"n": 0})
    assert (entry["attempts"], entry["error"]) == (1, "RuntimeError: pay broke")
    assert isinstance(entry["failed_at"], float)


def test_retry_failed_queues_the_job_again_on_its_own_queue_as_new(
    job_queue: JobQueue, fail_jobs: FailJobs, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job of the emails queue that failed, and another that is waiting there
    (job_id,) = fail_jobs("send_email", queue="emails")
    waiting = job_queue.dispatch("emails", "send_email", {})

    # When it is retried
    job_queue.retry_failed(job_id)

    # Then it is at the end of its queue with its attempts reset and its error cleared
    assert job_queue.failed() == []
    assert list_ids(redis, keys.queue("emails")) == [waiting, job_id]
    assert list_jobs(redis, keys.queue("emails"))[1]["attempts"] == 0
    (state,) = job_queue.states([("emails", job_id)])
    assert state is not None
    assert (state.state, state.attempts, state.error) == ("queued", 0, None)
    assert (state.started_at, state.finished_at, state.worker) == (None, None, None)


def test_a_retried_job_runs_again_with_all_its_attempts(
    job_queue: JobQueue, fail_jobs: FailJobs, make_worker: Callable[..., Worker]
) -> None:
    (job_id,) = fail_jobs("pay")
    job_queue.retry_failed(job_id)
    handler = Recorder()

    make_worker({"pay": handler}).run(burst=True)

    assert handler.payloads == [{"n": 0}]
    (state,) = job_queue.states([("default", job_id)])
    assert state is not None and (state.state, state.attempts) == ("succeeded", 1)
    # and the failed first run is still in its history, before the new attempt 1
    runs = [(r["run"], r["attempt"], r["outcome"]) for r in state.history]
    assert runs == [(1, 1, "failed"), (2, 1, "succeeded")]


def test_retry_all_failed_retries_only_the_given_handlers_jobs(
    job_queue: JobQueue, fail_jobs: FailJobs, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given failed jobs of two handlers
    pay = fail_jobs("pay", 2)
    mail = fail_jobs("send_email", 1)

    # When the pay jobs are retried
    retried = job_queue.retry_all_failed(handler="pay")

    # Then only they are queued again; the other stays failed
    assert retried == 2
    assert list_ids(redis, keys.queue("default")) == pay
    assert [entry["id"] for entry in job_queue.failed()] == mail


def test_retry_all_failed_without_a_handler_retries_every_job(
    job_queue: JobQueue, fail_jobs: FailJobs, redis: redis_py.Redis, keys: Keys
) -> None:
    ids = fail_jobs("pay", 2) + fail_jobs("send_email", 1)

    assert job_queue.retry_all_failed() == 3
    assert list_ids(redis, keys.queue("default")) == ids
    assert job_queue.failed() == []


def test_malformed_entries_are_never_retried_but_are_purged(
    job_queue: JobQueue, fail_jobs: FailJobs, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a poison message in the failed list beside a failed job
    redis.rpush(keys.queue("default"), "not json")
    (job_id,) = fail_jobs("pay")

    # When every failed job is retried
    retried = job_queue.retry_all_failed()

    # Then the job is queued again but the raw data stays failed
    assert retried == 1
    assert list_ids(redis, keys.queue("default")) == [job_id]
    (entry,) = job_queue.failed()
    assert entry["raw"] == "not json"
    # And a handler's purge leaves it; a purge of everything removes it
    assert job_queue.purge_failed(handler="pay") == 0
    assert job_queue.purge_failed() == 1
    assert job_queue.failed() == []


def test_delete_failed_drops_the_entry_and_the_jobs_state(
    job_queue: JobQueue, fail_jobs: FailJobs
) -> None:
    first, second = fail_jobs("pay", 2)

    job_queue.delete_failed(first)

    assert [entry["id"] for entry in job_queue.failed()] == [second]
    assert job_queue.states([("default", first), ("default", second)])[0] is None


def test_purge_failed_drops_only_the_given_handlers_jobs(
    job_queue: JobQueue, fail_jobs: FailJobs
) -> None:
    pay = fail_jobs("pay", 2)
    (mail,) = fail_jobs("send_email", 1)

    assert job_queue.purge_failed(handler="pay") == 2

    assert [entry["id"] for entry in job_queue.failed()] == [mail]
    assert job_queue.states([("default", job_id) for job_id in (*pay, mail)])[:2] == [None] * 2


@pytest.mark.parametrize("action", ["failed_job", "retry_failed", "delete_failed"])
def test_an_unknown_id_raises_job_not_found_naming_it(
    job_queue: JobQueue, fail_jobs: FailJobs, action: str
) -> None:
    fail_jobs("pay")
    queued = job_queue.dispatch("default", "pay", {})  # known, but not failed

    for job_id in ("0" * 32, queued):
        with pytest.raises(JobNotFound, match=f"^No failed job with id {job_id}$"):
            getattr(job_queue, action)(job_id)

    assert len(job_queue.failed()) == 1


def test_job_not_found_is_a_lookup_error() -> None:
    assert issubclass(JobNotFound, LookupError)


def test_nothing_to_retry_or_purge_returns_zero(job_queue: JobQueue) -> None:
    assert job_queue.retry_all_failed() == 0
    assert job_queue.purge_failed() == 0


def test_dispatch_many_queues_every_job_in_order_with_its_state(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given 2,500 payloads, more than one chunk
    payloads = [{"n": n} for n in range(2500)]

    # When they are dispatched in bulk
    ids = job_queue.dispatch_many("emails", "send_email", payloads, chunk=1000)

    # Then each is on the queue, in order, with a queued state hash
    assert list_ids(redis, keys.queue("emails")) == ids
    assert len(set(ids)) == 2500
    states = job_queue.states([("emails", ids[0]), ("emails", ids[-1])])
    assert [(s.state, s.handler, s.queue) for s in states if s] == [
        ("queued", "send_email", "emails")
    ] * 2


def test_dispatch_with_a_job_id_of_ones_own_queues_it_once(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    first = job_queue.dispatch("payments", "pay", {"order_id": 1}, job_id="order-1-pay")
    again = job_queue.dispatch("payments", "pay", {"order_id": 1}, job_id="order-1-pay")

    assert first == again == "order-1-pay"
    assert list_ids(redis, keys.queue("payments")) == ["order-1-pay"]


def test_dispatch_refuses_a_job_id_that_cannot_name_a_key(job_queue: JobQueue) -> None:
    with pytest.raises(ValueError, match="Invalid job id"):
        job_queue.dispatch("payments", "pay", {}, job_id="has space")
