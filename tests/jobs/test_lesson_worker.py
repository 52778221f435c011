"""The lesson's worker (jobs/lesson_worker.py): it runs jobs, keeps their state, and keeps the
lesson's bugs, each shown here as it happens."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
import redis as redis_py

from jobs import JobHandler, JobQueue, Keys
from jobs.lesson_worker import MAX_COPIES, LessonWorker
from tests.jobs.support import Blocking, Failing, Recorder
from tests.waiting import wait_for


def lesson_worker(
    redis: redis_py.Redis, prefix: str, handlers: dict[str, JobHandler], **options: Any
) -> LessonWorker:
    """A LessonWorker on the test's prefix; its pops wait 0.1 s, so burst mode ends soon."""
    return LessonWorker(redis, handlers, prefix=prefix, block_timeout=0.1, **options)


def everything_in_redis(redis: redis_py.Redis, keys: Keys) -> str:
    """Every list and sorted set under the prefix, as one text, to search for a job."""
    found = []
    for key in redis.scan_iter(match=f"{keys.prefix}*"):
        kind = redis.type(key)
        if kind == "list":
            found += redis.lrange(key, 0, -1)
        elif kind == "zset":
            found += redis.zrange(key, 0, -1)
    return "\n".join(map(str, found))


def test_it_runs_a_job_and_records_it_succeeded(
    redis: redis_py.Redis, prefix: str, job_queue: JobQueue, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a job on the payments queue
    recorder = Recorder()
    job_id = job_queue.dispatch("payments", "process_payment", {"order_id": 7})

    # When the lesson's worker runs until the queue is empty
    with caplog.at_level(logging.INFO):
        counts = lesson_worker(redis, prefix, {"process_payment": recorder}).run(
            ["payments", "emails"], burst=True)

    # Then the handler ran once, the job's state says so, and the banner is the worker's
    assert recorder.payloads == [{"order_id": 7}]
    assert counts == {"processed": 1, "retried": 0, "failed": 0}
    (state,) = job_queue.states([("payments", job_id)])
    assert state is not None and (state.state, state.attempts) == ("succeeded", 1)
    assert "Worker started on queue: payments, emails" in caplog.text
    assert f"[OK] Job {job_id} processed (handler process_payment)" in caplog.text


def test_while_its_job_runs_the_job_is_nowhere_in_redis(
    redis: redis_py.Redis, prefix: str, keys: Keys, job_queue: JobQueue
) -> None:
    # Given the lesson's worker running a job that blocks
    blocking = Blocking()
    job_id = job_queue.dispatch("payments", "slow", {"n": 1})
    worker = lesson_worker(redis, prefix, {"slow": blocking})
    thread = threading.Thread(target=worker.run, args=(["payments"], True))
    thread.start()
    try:
        assert blocking.running.wait(10)

        # Then the job is in no list and no set: only in the worker's memory (at most once)
        assert job_id not in everything_in_redis(redis, keys)
        (state,) = job_queue.states([("payments", job_id)])
        assert state is not None and state.state == "running"
        assert state.worker == worker.worker_id
    finally:
        blocking.release.set()
        thread.join(10)


def test_a_retry_is_a_new_job_with_attempts_at_0_so_it_retries_until_the_cap(
    redis: redis_py.Redis, prefix: str, keys: Keys, job_queue: JobQueue
) -> None:
    # Given a job whose handler always fails, and no backoff (a 0 s delay pushes at once)
    failing = Failing("declined")
    job_id = job_queue.dispatch("payments", "process_payment", {"order_id": 3})

    # When the lesson's worker runs it, three attempts allowed
    counts = lesson_worker(redis, prefix, {"process_payment": failing}, retry_base=0).run(
        ["payments"], burst=True)

    # Then every run was a first attempt of a new job, until the cap stopped it
    assert len(failing.payloads) == 1 + MAX_COPIES
    assert counts == {"processed": 0, "retried": MAX_COPIES, "failed": 1}
    (state,) = job_queue.states([("payments", job_id)])
    assert state is not None and state.state == "failed" and state.attempts == 1
    assert state.error is not None and "dispatched again as a new job" in state.error
    # And the one that failed for good is a copy, its attempt 1, not the job dispatched
    (entry,) = job_queue.failed()
    assert entry["id"] != job_id and entry["attempts"] == 1
    assert "the lesson would retry for ever" in entry["error"]


def test_a_job_failing_on_its_last_attempt_goes_to_the_failed_list(
    redis: redis_py.Redis, prefix: str, job_queue: JobQueue
) -> None:
    job_id = job_queue.dispatch("payments", "process_payment", {"order_id": 4})

    lesson_worker(redis, prefix, {"process_payment": Failing()}, max_attempts=1).run(
        ["payments"], burst=True)

    (entry,) = job_queue.failed()
    assert (entry["id"], entry["error"]) == (job_id, "RuntimeError: boom")
    (state,) = job_queue.states([("payments", job_id)])
    assert state is not None and state.state == "failed"


def test_a_due_delayed_job_lands_on_default_whatever_its_queue(
    redis: redis_py.Redis, prefix: str, keys: Keys, job_queue: JobQueue
) -> None:
    # Given a job for the payments queue, delayed a moment
    job_id = job_queue.dispatch("payments", "process_payment", {"order_id": 5}, delay=0.05)
    worker = lesson_worker(redis, prefix, {})

    # When it is due and the lesson's migrateDelayed moves it
    wait_for(lambda: worker.migrate_delayed() == 1, "the delayed job to be moved")

    # Then it waits on default, where no worker of the payments queue looks
    assert [json.loads(raw)["id"] for raw in redis.lrange(keys.queue("default"), 0, -1)] == [job_id]
    assert redis.lrange(keys.queue("payments"), 0, -1) == []


def test_an_unknown_handler_is_retried_like_any_error(
    redis: redis_py.Redis, prefix: str, job_queue: JobQueue
) -> None:
    job_queue.dispatch("payments", "no_such_handler", {})

    counts = lesson_worker(redis, prefix, {}, retry_base=0).run(["payments"], burst=True)

    assert counts["retried"] == MAX_COPIES


def test_data_that_is_no_job_goes_to_failed(
    redis: redis_py.Redis, prefix: str, keys: Keys, job_queue: JobQueue
) -> None:
    # Given text that is not a job on the queue
    redis.rpush(keys.queue("payments"), "not a job {")

    # When the lesson's worker runs
    counts = lesson_worker(redis, prefix, {}).run(["payments"], burst=True)

    # Then the text is in the failed list as it came
    assert counts == {"processed": 0, "retried": 0, "failed": 1}
    (entry,) = redis.lrange(keys.failed("payments"), 0, -1)
    assert json.loads(entry)["raw"] == "not a job {"
    assert redis.llen(keys.queue("payments")) == 0
