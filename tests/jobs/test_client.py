"""QueueClient: the lesson's push and pop, enqueue with the job's state, the client it uses.

tests/jobs/test_lesson.py runs push and pop as the lesson writes them; these check the rest.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_py

from jobs import (
    Job,
    JobQueue,
    Keys,
    MalformedJob,
    NotReplicated,
    QueueClient,
    QueueMonitor,
    Worker,
)
from jobs.connection import queue_client_for
from tests.jobs.support import NO_COUNTS, Recorder, list_ids, state_of
from tests.waiting import wait_for


@pytest.fixture
def client(redis: redis_py.Redis, prefix: str) -> QueueClient:
    return QueueClient(redis, prefix)


# push and pop, as the lesson writes them.


def test_push_puts_the_lessons_envelope_at_the_end_of_the_queue(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job already waiting
    first = client.push("emails", {"type": "order_confirmation", "order_id": 1})
    before = time.time()

    # When the lesson's request handler pushes its data
    job_id = client.push("emails", {"type": "order_confirmation", "order_id": 7})

    # Then the envelope is last on queue:emails, with the id push returned
    assert list_ids(redis, keys.queue("emails")) == [first, job_id]
    popped = client.pop("emails", timeout=1)
    assert popped is not None and popped["id"] == first, "the oldest job comes first"
    envelope = client.pop("emails", timeout=1)
    assert envelope is not None
    assert envelope["payload"] == {"type": "order_confirmation", "order_id": 7}
    assert before <= envelope["created_at"] <= time.time(), "created_at is the push's time"
    assert envelope["handler"] == "order_confirmation", "the handler is the data's type"


def test_pop_is_at_most_once_the_job_is_in_no_list_after_it(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    client.push("default", {"type": "h"})

    assert client.pop("default", timeout=1) is not None

    assert redis.llen(keys.queue("default")) == 0, "the queue is empty"
    assert list(redis.scan_iter(match=keys.processing("default", "*"))) == [], "no processing list"


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe"],
                         ids=["not-json", "not-an-object", "not-utf8"])
def test_pop_raises_malformed_job_for_data_that_is_not_a_json_object(
    client: QueueClient, redis_url: str, keys: Keys, raw: bytes
) -> None:
    with redis_py.Redis.from_url(redis_url) as bytes_redis:
        bytes_redis.rpush(keys.queue("default"), raw)

    with pytest.raises(MalformedJob):
        client.pop("default", timeout=1)


@pytest.mark.parametrize("data", [[1, 2], "order 7", None])
def test_push_refuses_data_that_is_not_a_dict(client: QueueClient, data: Any) -> None:
    with pytest.raises(TypeError, match="data must be a dict"):
        client.push("default", data)


def test_push_refuses_a_bad_queue_name(client: QueueClient) -> None:
    with pytest.raises(ValueError, match="Invalid queue name"):
        client.push("failed", {"type": "h"})


# enqueue and enqueue_many: a Job with its state hash, in one script.


def test_enqueue_puts_the_job_json_on_its_queue(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    job = Job("send_email", {"order_id": 7}, "emails")

    assert client.enqueue(job) is True

    assert redis.lrange(keys.queue("emails"), 0, -1) == [job.to_json()]


def test_enqueue_records_the_state_hash(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    before = time.time()
    job = Job("send_email", {"order_id": 7}, "emails")

    client.enqueue(job)

    fields = redis.hgetall(keys.job(job.queue, job.id))
    # enqueued_at is the job's created_at, to the microsecond
    assert before - 1e-6 <= float(fields.pop("enqueued_at")) <= time.time()
    assert fields == {
        "state": "queued",
        "attempts": "0",
        "handler": "send_email",
        "queue": "emails",
    }


def test_enqueue_with_a_delay_goes_to_the_delayed_set_scored_by_due_time(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    job = Job("send_email", {}, "emails")
    before = time.time()

    client.enqueue(job, delay_seconds=30)

    ((raw, due_at),) = redis.zrange(keys.delayed("emails"), 0, -1, withscores=True)
    assert raw == job.to_json()
    assert before + 30 <= due_at <= time.time() + 30
    assert redis.llen(keys.queue("emails")) == 0, "the queue holds only jobs waiting now"
    assert redis.zrange(keys.marker("emails"), 0, -1, withscores=True) == [("next", due_at)], (
        "the earliest due time: wakes a worker blocked on emails in time for it"
    )
    fields = redis.hgetall(keys.job(job.queue, job.id))
    assert fields["state"] == "delayed"
    assert float(fields["due_at"]) == due_at


def test_a_queues_marker_keeps_the_earliest_time_a_worker_must_look(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    client.enqueue(Job("h", {}, "emails"), delay_seconds=30)
    due_first = redis.zscore(keys.marker("emails"), "next")

    client.enqueue(Job("h", {}, "emails"), delay_seconds=60)
    assert redis.zscore(keys.marker("emails"), "next") == due_first, "a sooner job is due first"

    client.enqueue(Job("h", {}, "emails"))
    assert redis.zscore(keys.marker("emails"), "next") == 0, "a job waits now"
    assert redis.llen(keys.queue("emails")) == 1, "the queue holds the job waiting now, only"


def test_enqueue_is_one_round_trip(client: QueueClient, round_trips: list[bytes]) -> None:
    client.enqueue(Job("h", {}, "default"))  # Redis caches the script
    round_trips.clear()

    client.enqueue(Job("h", {}, "default"))

    assert len(round_trips) == 1


@pytest.mark.parametrize("delay_seconds", [0, 30])
def test_enqueueing_a_job_id_again_changes_nothing(
    client: QueueClient, redis: redis_py.Redis, keys: Keys, delay_seconds: float
) -> None:
    job = Job("h", {}, "default", id="order-7-mail")
    assert client.enqueue(job, delay_seconds) is True
    before = redis.hgetall(keys.job(job.queue, job.id))

    assert client.enqueue(job, delay_seconds) is False

    assert redis.hgetall(keys.job(job.queue, job.id)) == before
    queued = [*list_ids(redis, keys.queue("default")),
              *redis.zrange(keys.delayed("default"), 0, -1)]
    assert len(queued) == 1, "the job is queued once"


def test_enqueue_all_sends_each_job_with_its_delay_in_one_round_trip(
    client: QueueClient, redis: redis_py.Redis, keys: Keys, round_trips: list[bytes]
) -> None:
    now, later, again = Job("h", {}, "emails"), Job("h", {}, "reports"), Job("h", {}, "emails")
    client.enqueue(again)
    round_trips.clear()

    queued = client.enqueue_all([(now, 0), (later, 30), (again, 0)])

    assert queued == [True, True, False]
    assert len(round_trips) == 1
    assert list_ids(redis, keys.queue("emails")) == [again.id, now.id]
    assert redis.zrange(keys.delayed("reports"), 0, -1) == [later.to_json()]
    assert client.enqueue_all([]) == []


def test_enqueue_many_skips_jobs_enqueued_before(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    old, new = Job("h", {}, "default"), Job("h", {}, "default")
    client.enqueue(old)

    enqueued = client.enqueue_many("default", "h", [old, new])

    assert enqueued == 1
    assert redis.lrange(keys.queue("default"), 0, -1) == [old.to_json(), new.to_json()]
    assert redis.hget(keys.job(new.queue, new.id), "state") == "queued"


def test_enqueue_survives_a_script_flush(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    client.enqueue(Job("h", {}, "default"))
    redis.script_flush()

    client.enqueue(Job("h", {}, "default"))
    redis.script_flush()
    client.enqueue_many("default", "h", [Job("h", {}, "default")])

    assert redis.llen(keys.queue("default")) == 3


def test_migrate_delayed_moves_due_jobs_of_the_queues_named(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a due job of emails and one of reports
    email, report = Job("h", {}, "emails"), Job("h", {}, "reports")
    for job in (email, report):
        client.enqueue(job, delay_seconds=60)
    for queue in ("emails", "reports"):
        redis.zadd(keys.delayed(queue), dict.fromkeys(redis.zrange(keys.delayed(queue), 0, -1), 0))

    # When due jobs of emails are migrated
    moved = client.migrate_delayed(["emails"])

    # Then only the email moved, onto its own queue
    assert moved == 1
    assert list_ids(redis, keys.queue("emails")) == [email.id]
    assert redis.zrange(keys.delayed("reports"), 0, -1) == [report.to_json()]


# The client's settings: any redis-py client works, the queue derives its own.


@pytest.fixture(params=["bytes", "strict-utf8"])
def app_redis(request: pytest.FixtureRequest, redis_url: str) -> Iterator[redis_py.Redis]:
    """An application's own client, without the queue's settings: bytes replies, or str
    replies that fail on bytes that are not UTF-8."""
    options = {"bytes": {}, "strict-utf8": {"decode_responses": True}}[request.param]
    client = redis_py.Redis.from_url(redis_url, **options)
    yield client
    client.close()


def release(*clients: redis_py.Redis) -> None:
    """Close clients the queue derived, and their pools: close() alone leaves a pool it
    was given open (see test_closing_a_derived_client_closes_its_connections)."""
    for client in clients:
        client.close()
        client.connection_pool.disconnect()


def test_a_client_with_the_queues_settings_is_used_as_it_is(redis: redis_py.Redis) -> None:
    assert queue_client_for(redis) is redis


def test_an_application_client_gets_a_queue_client_of_its_own_and_keeps_its_replies(
    app_redis: redis_py.Redis, prefix: str, keys: Keys
) -> None:
    # Given an application's client without the queue's settings
    replies_before = app_redis.get_encoder().decode_responses

    # When a QueueClient is built on it and used
    client = QueueClient(app_redis, prefix)
    try:
        job_id = client.push("default", {"type": "h"})

        # Then the queue talks through a client of its own, to the same Redis
        assert client.redis is not app_redis
        assert client.redis.get_encoder().encoding_errors == "surrogateescape"
        assert app_redis.get_encoder().decode_responses == replies_before, "the app's is as it was"
        assert app_redis.llen(keys.queue("default")) == 1, "the same Redis"
        popped = client.pop("default", timeout=1)
        assert popped is not None and popped["id"] == job_id
    finally:
        release(client.redis)


def test_job_queue_worker_and_monitor_work_on_an_application_client(
    app_redis: redis_py.Redis, prefix: str
) -> None:
    # Given a JobQueue, a Worker and a QueueMonitor built on the application's client
    job_queue = JobQueue(app_redis, prefix)
    handler = Recorder()
    worker = Worker(app_redis, {"send_email": handler}, prefix=prefix, block_timeout=0.1)
    monitor = QueueMonitor(app_redis, prefix)
    try:
        # When a job is dispatched and run
        job_id = job_queue.dispatch("default", "send_email", {"order_id": 7})
        waiting = monitor.snapshot(["default"], minutes=1)
        counts = worker.run(burst=True)

        # Then each did its part
        assert [depth.waiting for depth in waiting.depths] == [1], "the monitor saw it waiting"
        assert counts == {**NO_COUNTS, "processed": 1}
        assert handler.payloads == [{"order_id": 7}]
        assert state_of(job_queue, job_id).state == "succeeded"
    finally:
        release(job_queue.redis, worker.registry.redis, monitor.redis)


def test_data_that_is_not_utf8_reaches_the_failed_list_as_it_came_on_an_application_client(
    app_redis: redis_py.Redis, prefix: str, keys: Keys
) -> None:
    # Given bytes that are not UTF-8 on the queue, and a job behind them
    app_redis.rpush(keys.queue("default"), b"\xff\xfe")
    job_queue = JobQueue(app_redis, prefix)
    job_id = job_queue.dispatch("default", "send_email", {})
    worker = Worker(app_redis, {"send_email": Recorder()}, prefix=prefix, block_timeout=0.1)
    try:
        # When a worker built on the application's client runs
        counts = worker.run(burst=True)

        # Then the bytes are in the failed list as they came, and the job ran
        assert counts == {**NO_COUNTS, "processed": 1, "failed": 1}
        (entry,) = job_queue.failed()
        assert entry["raw"].encode("utf-8", "surrogateescape") == b"\xff\xfe", "the very bytes"
        assert entry["error"].startswith("Malformed job")
        assert state_of(job_queue, job_id).state == "succeeded"
        held = keys.processing("default", worker.worker_id)
        assert app_redis.llen(held) == 0, "the worker holds nothing"
    finally:
        release(job_queue.redis, worker.registry.redis)


def test_closing_a_derived_client_closes_its_connections(
    redis: redis_py.Redis, redis_url: str
) -> None:
    def open_connections(name: str) -> int:
        return sum(client["name"] == name for client in redis.client_list())

    # Given a queue client derived from an application's client, each with a connection open
    name = f"app-{uuid.uuid4().hex[:12]}"
    with redis_py.Redis.from_url(redis_url, client_name=name) as app_redis:
        app_redis.ping()
        derived = queue_client_for(app_redis)
        derived.ping()
        assert open_connections(name) == 2, "the app's connection and the derived one"

        # When the derived client is closed
        derived.close()

        # Then Redis no longer sees its connection (it learns of the close a moment later)
        try:
            wait_for(lambda: open_connections(name) == 1, "only the app's connection to be left")
        finally:
            derived.connection_pool.disconnect()


def test_a_derived_client_waits_for_a_connection_as_the_applications_pool_does(
    redis_url: str,
) -> None:
    # Given an application's client whose pool waits for a free connection
    pool = redis_py.BlockingConnectionPool.from_url(redis_url, max_connections=2, timeout=5)
    with redis_py.Redis(connection_pool=pool) as app_redis:
        # When the queue derives its own client from it
        derived = queue_client_for(app_redis)

        # Then the derived pool waits likewise, with the same limit
        try:
            assert isinstance(derived.connection_pool, redis_py.BlockingConnectionPool), (
                "a pool that waits for a free connection"
            )
            assert derived.connection_pool.max_connections == 2
        finally:
            derived.connection_pool.disconnect()
        pool.disconnect()


def test_with_wait_replicas_an_enqueue_no_replica_acknowledged_raises_not_replicated(
    redis: redis_py.Redis, prefix: str
) -> None:
    # Given a queue that waits for one replica, on a Redis that has none
    queue = JobQueue(redis, prefix, wait_replicas=1, wait_timeout_seconds=0.05)

    # When a job is dispatched, Then the caller is told it may not survive a failover
    with pytest.raises(NotReplicated, match="0 of 1 replicas acknowledged the write"):
        queue.dispatch("emails", "send_email", {})


def test_pop_waits_its_whole_timeout_even_past_the_clients_socket_timeout(
    redis_url: str, prefix: str
) -> None:
    # Given a client whose socket timeout (0.5 s) is shorter than the pop's wait (1 s)
    short = redis_py.Redis.from_url(redis_url, socket_timeout=0.5)
    try:
        # When nothing arrives, Then pop answers None after its timeout, rather than raising
        assert QueueClient(short, prefix).pop("emails", 1.0) is None
    finally:
        short.close()
