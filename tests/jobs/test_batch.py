"""JobQueue.batch: several dispatches, any handlers and queues, in one round trip."""

from __future__ import annotations

import pytest
import redis as redis_py
from redis.backoff import NoBackoff
from redis.retry import Retry

from jobs import JobQueue, Keys, connect
from tests.jobs.support import list_ids


def test_a_batch_queues_each_job_on_its_own_queue_in_one_round_trip(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys, round_trips: list[bytes]
) -> None:
    job_queue.client.scripts.load()  # as the first call would after a Redis restart
    round_trips.clear()
    with job_queue.batch() as batch:
        email = batch.dispatch("emails", "order_confirmation", {"order_id": 42})
        payment = batch.dispatch("payments", "process_payment", {"order_id": 42})
        report = batch.dispatch("reports", "generate_report", {"order_id": 42}, delay=60)
        assert round_trips == []  # nothing is sent before the block ends

    assert len(round_trips) == 1
    assert list_ids(redis, keys.queue("emails")) == [email]
    assert list_ids(redis, keys.queue("payments")) == [payment]
    states = job_queue.states([("emails", email), ("payments", payment), ("reports", report)])
    assert [(s.handler, s.queue, s.state) for s in states if s is not None] == [
        ("order_confirmation", "emails", "queued"),
        ("process_payment", "payments", "queued"),
        ("generate_report", "reports", "delayed"),
    ]


def test_a_batch_skips_jobs_whose_ids_were_dispatched_before(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    job_queue.dispatch("emails", "order_confirmation", {"order_id": 42}, job_id="order-42-mail")

    with job_queue.batch() as batch:
        batch.dispatch("emails", "order_confirmation", {"order_id": 42}, job_id="order-42-mail")
        batch.dispatch("payments", "process_payment", {"order_id": 42}, job_id="order-42-pay")

    assert list_ids(redis, keys.queue("emails")) == ["order-42-mail"]
    assert list_ids(redis, keys.queue("payments")) == ["order-42-pay"]


def test_a_block_that_raises_sends_nothing(
    job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    with pytest.raises(RuntimeError, match="changed my mind"), job_queue.batch() as batch:
        batch.dispatch("emails", "order_confirmation", {"order_id": 42})
        raise RuntimeError("changed my mind")

    assert redis.keys(f"{prefix}*") == []


def test_a_bad_dispatch_is_refused_at_once_naming_what_is_wrong(job_queue: JobQueue) -> None:
    with job_queue.batch() as batch, pytest.raises(TypeError, match="payload must be a dict"):
        batch.dispatch("emails", "order_confirmation", ["not", "a", "dict"])  # type: ignore[arg-type]


def test_an_empty_batch_sends_nothing(job_queue: JobQueue, round_trips: list[bytes]) -> None:
    with job_queue.batch():
        pass

    assert round_trips == []


def test_a_batch_raises_when_redis_is_unreachable(prefix: str) -> None:
    unreachable = connect("redis://127.0.0.1:1/0", retry=Retry(NoBackoff(), 0))
    job_queue = JobQueue(unreachable, prefix)
    try:
        with pytest.raises(redis_py.ConnectionError), job_queue.batch() as batch:
            batch.dispatch("emails", "order_confirmation", {"order_id": 42})
    finally:
        unreachable.close()
