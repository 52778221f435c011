"""The relay pushes the outbox's waiting jobs, once each, and survives a Redis that is down.

The `flask --app shop relay` command, its signals and exit code: tests/e2e/test_outbox.py.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import redis as redis_py
from flask import Flask
from sqlalchemy import select, update

import jobs
from devtools.embedded_redis import free_port
from jobs import JobQueue
from shop.db import Database
from shop.models import OrderJob, utc_now
from shop.orders import relay
from shop.orders.outbox import record_order_jobs
from shop.orders.relay import Relay, relay_once
from shop.orders.relay_lock import RelayLock
from shop.orders.services import place_order
from shop.orders.validation import OrderLine
from tests.shop.support import order_jobs_waiting, public_id_of, queued_job_ids


@pytest.fixture
def queue(app: Flask) -> JobQueue:
    """The app's job queue."""
    queue: JobQueue = app.extensions["queue"]
    return queue


def waiting_order(database: Database, age_seconds: float = 60.0) -> int:
    """Commit an order whose three jobs were never pushed, written age_seconds ago."""
    with database.sessions() as session:
        order = place_order(session, "ada@example.com", [OrderLine("BISCUITS", 1)])
        for job in record_order_jobs(session, order):
            job.created_at = utc_now() - timedelta(seconds=age_seconds)
        session.commit()
        return order.id


def unpushed(database: Database) -> list[str]:
    """Return the ids of the jobs still waiting to be pushed."""
    with database.sessions() as session:
        return list(session.scalars(select(OrderJob.job_id).where(OrderJob.pushed_at.is_(None))))


def test_waiting_jobs_are_pushed_and_marked(
    database: Database, queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    order_id = waiting_order(database)

    assert relay_once(database, queue, min_age_seconds=5) == 3

    assert unpushed(database) == []
    assert queued_job_ids(redis, prefix) == order_jobs_waiting(public_id_of(database, order_id))


def test_jobs_younger_than_min_age_are_left_to_their_request(
    database: Database, queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    waiting_order(database, age_seconds=0)

    assert relay_once(database, queue, min_age_seconds=5) == 0

    assert len(unpushed(database)) == 3
    assert queued_job_ids(redis, prefix) == {"payments": [], "emails": [], "reports": []}


def test_a_job_redis_already_has_is_not_queued_again(
    database: Database, queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given jobs the request pushed but could not mark (it died right after the push)
    order_id = waiting_order(database)
    relay_once(database, queue, min_age_seconds=0)
    with database.sessions.begin() as session:
        session.execute(update(OrderJob).values(pushed_at=None))

    # When the relay pushes them
    relay_once(database, queue, min_age_seconds=0)

    # Then each job is queued once, and now marked
    assert queued_job_ids(redis, prefix) == order_jobs_waiting(public_id_of(database, order_id))
    assert unpushed(database) == []


def test_many_jobs_go_in_batches(
    database: Database, queue: JobQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(relay, "BATCH_SIZE", 2)
    waiting_order(database)
    waiting_order(database)

    assert relay_once(database, queue, min_age_seconds=0) == 6


def test_with_redis_down_a_pass_pushes_nothing_and_keeps_the_jobs(
    database: Database, prefix: str
) -> None:
    waiting_order(database)
    nobody = JobQueue(jobs.connect(f"redis://127.0.0.1:{free_port()}/0"), prefix)

    assert Relay(database, nobody, 1.0, 0).run(once=True) == 0

    assert len(unpushed(database)) == 3


def test_the_relay_runs_until_stopped(database: Database, queue: JobQueue) -> None:
    relay_loop = Relay(database, queue, interval_seconds=0.05, min_age_seconds=0)
    thread = threading.Thread(target=relay_loop.run)
    thread.start()

    relay_loop.stopping.set()  # what the SIGTERM handler does
    thread.join(timeout=10)

    assert not thread.is_alive()


def test_one_process_relays_at_a_time(database: Database, queue: JobQueue) -> None:
    # Given jobs waiting, and another process in the middle of a pass (it holds the lock)
    waiting_order(database)
    busy = Relay(database, queue, 1.0, 0)
    assert busy.lock.acquire()

    # When this one's turn comes, it leaves the pass to the other
    relay_loop = Relay(database, queue, 1.0, 0)
    assert relay_loop.run(once=True) == 0
    assert len(unpushed(database)) == 3

    # Then, once the other has released the lock, it makes the pass, and releases it in turn
    busy.lock.release()
    assert relay_loop.run(once=True) == 3
    assert busy.lock.acquire()


def test_a_lock_that_expired_and_was_taken_by_another_is_left_to_it(
    database: Database, queue: JobQueue
) -> None:
    first = RelayLock(queue.redis, queue.keys.relay)
    second = RelayLock(queue.redis, queue.keys.relay)
    assert first.acquire()
    queue.redis.delete(queue.keys.relay)  # as if it had expired
    assert second.acquire()

    first.release()

    assert queue.redis.get(queue.keys.relay) == second.holder
