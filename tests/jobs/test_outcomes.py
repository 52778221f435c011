"""Outcomes: the script calls that record what became of a taken job, on a real Redis."""

from __future__ import annotations

import json
import threading

import pytest
import redis as redis_py

from jobs import Job, Keys, QueueClient, WorkerRegistry
from jobs.fetch import Fetcher
from jobs.outcomes import (
    Ack,
    Attempt,
    Fail,
    Malformed,
    Outcome,
    Requeue,
    Retry,
    calls_for,
    failed_entry,
)
from jobs.pending import count_stale
from jobs.scripts import Scripts

WORKER = "w1"


@pytest.fixture
def scripts(redis: redis_py.Redis) -> Scripts:
    return Scripts(redis)


@pytest.fixture
def processing(keys: Keys) -> str:
    return keys.processing("default", WORKER)


def taken_attempt(redis: redis_py.Redis, keys: Keys, queue: str = "default") -> Attempt:
    """Enqueue a new job and take it as WORKER's fetch would: its attempt from 10 to 12.5."""
    QueueClient(redis, keys.prefix).enqueue(Job("send_email", {"order_id": 7}, queue))
    registry = WorkerRegistry(redis, keys, WORKER, max_recoveries=3)
    fetcher = Fetcher(redis, keys, registry, threading.Event(), block_timeout=0.05,
                      prefetch_seconds=0.02, max_prefetch=1)
    (taken,) = fetcher.fetch([queue], wait=False)
    assert taken.job is not None and taken.job.attempts == 1, "a job on its first attempt"
    return Attempt(taken.raw, taken.job, WORKER, started_at=10.0, finished_at=12.5)


def test_ack_takes_the_job_off_the_list_and_records_success(
    scripts: Scripts, redis: redis_py.Redis, keys: Keys, processing: str
) -> None:
    attempt = taken_attempt(redis, keys)

    results = scripts.run([Ack(attempt, keep_seconds=3600).call(keys)])

    assert count_stale(results) == 0
    assert redis.llen(processing) == 0, "the worker holds nothing"
    fields = redis.hgetall(keys.job(attempt.job.queue, attempt.job.id))
    assert (fields["state"], fields["started_at"], fields["finished_at"]) == (
        "succeeded",
        "10.0",
        "12.5",
    )
    kept = redis.ttl(keys.job(attempt.job.queue, attempt.job.id))
    assert 0 < kept <= 3600, "the state is kept an hour"
    assert json.loads(fields["run:1"])["outcome"] == "succeeded"


def test_retry_schedules_the_next_attempt_in_the_delayed_set(
    scripts: Scripts, redis: redis_py.Redis, keys: Keys, processing: str
) -> None:
    attempt = taken_attempt(redis, keys)
    retry = Retry(attempt, "RuntimeError: x", delay_seconds=487.5)

    scripts.run([retry.call(keys)])

    assert redis.llen(processing) == 0, "the worker holds nothing"
    assert retry.due_at == 500.0, "due delay_seconds after the attempt ended"
    delayed = redis.zrange(keys.delayed("default"), 0, -1, withscores=True)
    assert delayed == [(attempt.job.to_json(), 500.0)]
    assert json.loads(attempt.job.to_json())["attempts"] == 1, "scheduled with its attempts"
    fields = redis.hgetall(keys.job(attempt.job.queue, attempt.job.id))
    assert (fields["state"], fields["due_at"], fields["error"]) == (
        "retrying",
        "500.0",
        "RuntimeError: x",
    )


def test_fail_moves_the_job_to_the_failed_list(
    scripts: Scripts, redis: redis_py.Redis, keys: Keys, processing: str
) -> None:
    attempt = taken_attempt(redis, keys)

    scripts.run([Fail(attempt, "RuntimeError: x").call(keys)])

    assert redis.llen(processing) == 0, "the worker holds nothing"
    assert redis.lrange(keys.failed("default"), 0, -1) == [
        failed_entry(attempt.job, "RuntimeError: x", attempt.finished_at)
    ]
    fields = redis.hgetall(keys.job(attempt.job.queue, attempt.job.id))
    assert (fields["state"], fields["error"]) == ("failed", "RuntimeError: x")


def test_a_failed_entry_is_the_jobs_json_plus_error_and_failed_at() -> None:
    job = Job("pay", {"order_id": 7}, "default", attempts=3)

    entry = json.loads(failed_entry(job, "RuntimeError: x", 12.5))

    assert entry == {**job.to_dict(), "error": "RuntimeError: x", "failed_at": 12.5}


def test_requeue_gives_the_job_back_to_the_front_of_its_queue_uncounted(
    scripts: Scripts, redis: redis_py.Redis, keys: Keys, processing: str
) -> None:
    attempt = taken_attempt(redis, keys)
    waiting = Job("h", {}, "default")
    QueueClient(redis, keys.prefix).enqueue(waiting)

    scripts.run([Requeue(attempt.raw, attempt.job, WORKER).call(keys)])

    assert redis.llen(processing) == 0, "the worker holds nothing"
    assert redis.lrange(keys.queue("default"), 0, -1) == [attempt.raw, waiting.to_json()]
    fields = redis.hgetall(keys.job(attempt.job.queue, attempt.job.id))
    assert (fields["state"], fields["attempts"]) == ("queued", "0")


@pytest.mark.parametrize("raw", ["not json", "\udcff\udcfe"], ids=["not-json", "not-utf8"])
def test_malformed_data_goes_to_the_failed_list_as_it_came(
    scripts: Scripts, redis: redis_py.Redis, keys: Keys, processing: str, raw: str
) -> None:
    redis.rpush(processing, raw)

    malformed = Malformed(raw, "default", WORKER, "not JSON", failed_at=12.5)
    results = scripts.run([malformed.call(keys)])

    assert count_stale(results) == 0
    assert redis.llen(processing) == 0, "the worker holds nothing"
    (entry,) = [json.loads(stored) for stored in redis.lrange(keys.failed("default"), 0, -1)]
    assert entry == {"raw": raw, "error": "Malformed job: not JSON", "failed_at": 12.5}


@pytest.mark.parametrize("kind", ["ack", "retry", "fail", "requeue", "malformed"])
def test_an_outcome_for_a_job_no_longer_held_is_not_recorded(
    kind: str, scripts: Scripts, redis: redis_py.Redis, keys: Keys, processing: str
) -> None:
    # Given a running job that was taken back from this worker
    attempt = taken_attempt(redis, keys)
    redis.lrem(processing, 1, attempt.raw)
    before = redis.hgetall(keys.job(attempt.job.queue, attempt.job.id))
    outcome: Outcome = {
        "ack": Ack(attempt, 60),
        "retry": Retry(attempt, "x", 500.0),
        "fail": Fail(attempt, "x"),
        "requeue": Requeue(attempt.raw, attempt.job, WORKER),
        "malformed": Malformed(attempt.raw, "default", WORKER, "x", 12.5),
    }[kind]

    # When the worker records an outcome for it
    results = scripts.run(calls_for([outcome], keys))

    # Then nothing changes, and the outcome is counted as stale
    assert count_stale(results) == 1
    assert redis.hgetall(keys.job(attempt.job.queue, attempt.job.id)) == before
    assert redis.ttl(keys.job(attempt.job.queue, attempt.job.id)) == -1, "the state has no expiry"
    assert redis.zcard(keys.delayed("default")) == 0, "nothing delayed"
    assert redis.llen(keys.failed("default")) == 0, "nothing failed"
    assert redis.llen(keys.queue("default")) == 0, "nothing queued"


def test_the_acks_of_several_jobs_are_merged_into_one_call(
    scripts: Scripts, redis: redis_py.Redis, keys: Keys, processing: str
) -> None:
    # Given three jobs done and one failed
    done = [taken_attempt(redis, keys) for _ in range(3)]
    failed = taken_attempt(redis, keys)
    outcomes: list[Outcome] = [Ack(done[0], 60), Fail(failed, "x"), Ack(done[1], 60),
                               Ack(done[2], 60)]

    # When their calls are built and sent
    calls = calls_for(outcomes, keys)
    results = scripts.run(calls)

    # Then one ack call records the three successes, then the failure its own
    assert [call.script for call in calls] == ["ack", "fail"]
    hashes = [keys.job(a.job.queue, a.job.id) for a in done]
    assert calls[0].keys[3:] == hashes, "one hash key per job"
    assert results == [[1, 1, 1], 1]
    assert count_stale(results) == 0
    assert [redis.hget(keys.job(a.job.queue, a.job.id), "state") for a in done] == ["succeeded"] * 3
    assert redis.hget(keys.job(failed.job.queue, failed.job.id), "state") == "failed"
    assert redis.llen(processing) == 0, "the worker holds nothing"


def test_a_merged_ack_records_a_stale_job_as_stale_and_the_rest(
    scripts: Scripts, redis: redis_py.Redis, keys: Keys, processing: str
) -> None:
    first, taken_back = taken_attempt(redis, keys), taken_attempt(redis, keys)
    redis.lrem(processing, 1, taken_back.raw)

    results = scripts.run(calls_for([Ack(first, 60), Ack(taken_back, 60)], keys))

    assert results == [[1, 0]]
    assert count_stale(results) == 1
    assert redis.hget(keys.job(first.job.queue, first.job.id), "state") == "succeeded"
    assert redis.hget(keys.job(taken_back.job.queue, taken_back.job.id), "state") == "running"


def test_a_single_ack_is_left_as_it_is(keys: Keys) -> None:
    ack = Ack(Attempt("{}", Job("h", {}, "default"), WORKER, 1.0, 2.0), 60)

    assert calls_for([ack], keys) == [ack.call(keys)]


def test_acks_of_two_queues_are_merged_per_queue(keys: Keys) -> None:
    acks = [Ack(Attempt("{}", Job("h", {"n": n}, queue), WORKER, 1.0, 2.0), 60)
            for n, queue in enumerate(["emails", "reports", "emails"])]

    calls = calls_for(list(acks), keys)

    assert [call.keys[0] for call in calls] == [
        keys.processing("emails", WORKER), keys.processing("reports", WORKER)
    ]
    assert calls[0].keys[3:] == [keys.job("emails", a.attempt.job.id) for a in acks[::2]]
