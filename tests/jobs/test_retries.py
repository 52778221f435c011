"""Retries: backoff, max attempts, each attempt's record, handlers that give up, abandoned jobs."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis as redis_py

from jobs import Job, JobQueue, Keys, RetryPolicy, UnknownHandler
from jobs.outcomes import Attempt, Fail, Retry
from tests.jobs.support import (
    NO_COUNTS,
    Failing,
    MakeWorker,
    Recorder,
    StartWorker,
    exited,
    state_of,
)
from tests.waiting import wait_for


def make_due(redis: redis_py.Redis, keys: Keys) -> None:
    """Make every delayed job due now, rather than wait for its backoff."""
    for raw in redis.zrange(keys.delayed("default"), 0, -1):
        redis.zadd(keys.delayed("default"), {raw: 0}, xx=True)


class Flaky(Recorder):
    """A handler that fails its first `failures` calls, then succeeds."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def handle(self, payload: dict[str, Any]) -> None:
        super().handle(payload)
        if len(self.payloads) <= self.failures:
            raise RuntimeError(f"try {len(self.payloads)}")


class Declining(Recorder):
    """A handler whose ValueError (a declined card, say) retrying cannot help."""

    give_up_on = (ValueError,)

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def handle(self, payload: dict[str, Any]) -> None:
        super().handle(payload)
        raise self.error


class WithPolicy(Failing):
    """A failing handler with a retry policy of its own."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__("declined")
        self.retry_policy = policy


def test_each_retry_keeps_the_attempt_count_and_waits_its_backoff(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job whose handler always fails, and a retry base of 10 s
    worker = make_worker({"pay": Failing("declined")}, retry_base=10.0, max_attempts=3)
    job_id = job_queue.dispatch("default", "pay", {})

    for attempt in (1, 2):
        # When an attempt fails
        worker.run(burst=True)

        # Then the next waits 2**attempt * 10 s, and the count is kept (the lesson reset it)
        ((raw, due_at),) = redis.zrange(keys.delayed("default"), 0, -1, withscores=True)
        state = state_of(job_queue, job_id)
        assert (state.state, state.attempts) == ("retrying", attempt)
        assert json.loads(raw)["attempts"] == attempt, "the delayed JSON keeps the count"
        assert state.finished_at is not None and state.due_at == due_at
        assert due_at - state.finished_at == pytest.approx(2**attempt * 10.0)
        make_due(redis, keys)

    # When the last attempt fails
    worker.run(burst=True)

    # Then the job fails for good
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("failed", 3)
    assert redis.zcard(keys.delayed("default")) == 0, "no retry is left scheduled"


def test_a_failing_job_is_retried_until_max_attempts_then_failed(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue
) -> None:
    # Given a job whose handler always fails, retried after 0.02 s, then 0.04 s
    handler = Failing("declined")
    job_id = job_queue.dispatch("default", "pay", {"order_id": 7})

    # When a worker runs
    running = start_worker(make_worker({"pay": handler}, max_attempts=3))
    wait_for(lambda: state_of(job_queue, job_id).is_final, "the job to fail for good",
             give_up=exited(running))

    # Then it ran three times, and the failed list has the job with its error
    assert len(handler.payloads) == 3, "three attempts ran"
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts, state.error) == ("failed", 3, "RuntimeError: declined")
    (entry,) = job_queue.failed()
    assert entry.pop("failed_at") == state.finished_at
    assert isinstance(entry.pop("created_at"), float)
    assert entry == {
        "id": job_id,
        "handler": "pay",
        "payload": {"order_id": 7},
        "queue": "default",
        "attempts": 3,
        "error": "RuntimeError: declined",
    }


def test_each_attempt_is_recorded_in_the_jobs_history(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job that fails twice, then succeeds
    job_id = job_queue.dispatch("default", "pay", {})
    worker = make_worker({"pay": Flaky(failures=2)}, worker_id="w1", max_attempts=3)

    # When a worker runs each of its attempts
    for _ in range(3):
        worker.run(burst=True)
        make_due(redis, keys)

    # Then the job succeeded on its third attempt, and each attempt has its record
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("succeeded", 3)
    assert [(r["attempt"], r["outcome"], r["error"], r["worker"]) for r in state.history] == [
        (1, "failed", "RuntimeError: try 1", "w1"),
        (2, "failed", "RuntimeError: try 2", "w1"),
        (3, "succeeded", None, "w1"),
    ]
    times = [t for r in state.history for t in (r["started_at"], r["finished_at"])]
    assert times == sorted(times), "each attempt started after the one before it ended"
    assert state.history[-1]["finished_at"] == state.finished_at


def test_an_error_the_handler_gives_up_on_fails_the_job_at_once(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job whose handler raises an error it gives up on
    job_id = job_queue.dispatch("default", "pay", {})
    handler = Declining(ValueError("card declined"))

    # When a worker allowing 3 attempts runs it
    counts = make_worker({"pay": handler}, max_attempts=3).run(burst=True)

    # Then it failed for good after one attempt
    assert counts == {**NO_COUNTS, "failed": 1}
    assert len(handler.payloads) == 1, "one attempt ran"
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts, state.error) == ("failed", 1, "ValueError: card declined")
    assert redis.zcard(keys.delayed("default")) == 0, "no retry was scheduled"
    assert [entry["id"] for entry in job_queue.failed()] == [job_id]


def test_an_error_the_handler_does_not_give_up_on_is_retried(
    make_worker: MakeWorker, job_queue: JobQueue
) -> None:
    job_id = job_queue.dispatch("default", "pay", {})

    counts = make_worker({"pay": Declining(RuntimeError("timeout"))}).run(burst=True)

    assert counts == {**NO_COUNTS, "retried": 1}
    assert state_of(job_queue, job_id).state == "retrying"


def test_a_handlers_own_retry_policy_overrides_the_workers(
    make_worker: MakeWorker, job_queue: JobQueue
) -> None:
    # Given a worker allowing 5 attempts, and a handler allowing 1
    job_id = job_queue.dispatch("default", "pay", {})
    handler = WithPolicy(RetryPolicy(max_attempts=1))

    # When its job fails
    counts = make_worker({"pay": handler}, max_attempts=5).run(burst=True)

    # Then it fails for good after the one attempt
    assert counts == {**NO_COUNTS, "failed": 1}
    assert (state_of(job_queue, job_id).state, len(handler.payloads)) == ("failed", 1)


def test_a_handlers_own_backoff_sets_the_retry_delay(
    make_worker: MakeWorker, job_queue: JobQueue
) -> None:
    job_id = job_queue.dispatch("default", "pay", {})
    policy = RetryPolicy(max_attempts=2, base_seconds=100.0, jitter=0.0)

    make_worker({"pay": WithPolicy(policy)}, max_attempts=1).run(burst=True)

    state = state_of(job_queue, job_id)
    assert state.state == "retrying"
    assert state.due_at is not None and state.finished_at is not None
    assert state.due_at - state.finished_at == pytest.approx(200.0), "2**1 x its 100 s base"


def test_a_job_taken_more_often_than_its_policy_allows_fails_as_abandoned(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job whose 3 attempts were all taken and never finished (each killed its worker)
    job_id = job_queue.dispatch("default", "crash", {})
    redis.hset(keys.job("default", job_id), "attempts", 3)
    handler = Recorder()

    # When a worker allowing 3 attempts takes it a fourth time
    counts = make_worker({"crash": handler}, max_attempts=3).run(burst=True)

    # Then it fails for good without its handler running
    assert handler.payloads == [], "the handler did not run"
    assert counts == {**NO_COUNTS, "failed": 1}
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("failed", 4)
    assert state.error == "abandoned: attempt 3 never finished"
    assert [(r["attempt"], r["outcome"]) for r in state.history] == [(4, "failed")]
    (entry,) = job_queue.failed()
    assert (entry["id"], entry["error"]) == (job_id, "abandoned: attempt 3 never finished")


# handle_failure on its own: what a failed attempt leads to.


def an_attempt(attempts: int) -> Attempt:
    """The attempts-th attempt of a "pay" job, from 10 s to 12 s."""
    return Attempt("{}", Job("pay", {}, "default", attempts=attempts), "w1", 10.0, 12.0)


def test_handle_failure_retries_after_the_backoff_until_the_last_attempt(
    make_worker: MakeWorker,
) -> None:
    # Given a worker allowing 3 attempts, with a 10 s base
    worker = make_worker({"pay": Failing()}, max_attempts=3, retry_base=10.0)
    second, last = an_attempt(2), an_attempt(3)
    error = RuntimeError("declined")

    # When the second and the last attempts fail
    retried, failed = worker.handle_failure(second, error), worker.handle_failure(last, error)

    # Then the second is retried 2**2 x 10 s after it ended, and the last fails for good
    assert retried == Retry(second, "RuntimeError: declined", 40.0)
    assert retried.due_at == 52.0, "due its backoff after the attempt ended"
    assert failed == Fail(last, "RuntimeError: declined")


def test_handle_failure_fails_an_unknown_handler_at_once(make_worker: MakeWorker) -> None:
    first = an_attempt(1)

    outcome = make_worker({}).handle_failure(first, UnknownHandler("Unknown handler: pay"))

    assert outcome == Fail(first, "Unknown handler: pay")
