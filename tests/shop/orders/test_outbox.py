"""The outbox: jobs written with the order, pushed after the commit, each queued once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_py
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

import jobs
from devtools.embedded_redis import free_port
from jobs import JobQueue, Keys
from shop.models import Order, OrderJob
from shop.orders.outbox import dispatch_jobs, order_job_id, push_jobs, record_order_jobs
from shop.orders.services import JOB_QUEUES, place_order
from shop.orders.validation import OrderLine
from tests.shop.support import order_jobs_waiting, queued_job_ids


@pytest.fixture
def queue(app: Flask) -> JobQueue:
    """The app's job queue (the dispatching client)."""
    queue: JobQueue = app.extensions["queue"]
    return queue


@pytest.fixture
def unreachable_queue(prefix: str) -> Iterator[JobQueue]:
    """A job queue whose Redis nobody listens for."""
    client = jobs.connect(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.25)
    yield JobQueue(client, prefix=prefix)
    client.close()


def placed(session: Session) -> tuple[Order, list[OrderJob]]:
    """Place an order with its jobs and commit both."""
    order = place_order(session, "ada@example.com", [OrderLine("TEA-SENCHA", 1)])
    order_jobs = record_order_jobs(session, order)
    session.commit()
    return order, order_jobs


def test_a_job_id_names_the_order_by_its_public_id_and_the_job_type() -> None:
    assert order_job_id("0a1b2c3d4e5f6789", "process_payment") == (
        "order-0a1b2c3d4e5f6789-process_payment"
    )


def test_the_jobs_are_written_unpushed_in_the_orders_transaction(session: Session) -> None:
    order = place_order(session, "ada@example.com", [OrderLine("TEA-SENCHA", 1)])

    written = record_order_jobs(session, order)
    session.rollback()

    assert {job.type: job.queue for job in written} == JOB_QUEUES
    assert all(job.pushed_at is None for job in written)
    # Rolled back with the order: a job never exists without its order, nor the reverse
    assert session.scalars(select(OrderJob)).all() == []
    assert session.scalars(select(Order)).all() == []


def test_pushed_jobs_wait_on_their_queues_and_are_marked_pushed(
    session: Session, queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    order, order_jobs = placed(session)

    assert push_jobs(session, queue, order_jobs) == 3

    for job in order_jobs:
        [raw] = redis.lrange(Keys(prefix).queue(job.queue), 0, -1)
        queued = json.loads(raw)
        expected_id = order_job_id(order.public_id, job.type)
        assert (queued["id"], queued["handler"]) == (expected_id, job.type)
        assert queued["payload"] == {"order_id": order.id}
    session.expire_all()
    assert all(job.pushed_at is not None for job in session.scalars(select(OrderJob)))


def test_an_orders_jobs_go_to_redis_in_one_round_trip(
    session: Session, queue: JobQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a connection that has sent a push already (its name set, the scripts loaded)
    push_jobs(session, queue, placed(session)[1])
    _, order_jobs = placed(session)
    sent: list[bytes] = []
    send = redis_py.connection.Connection.send_packed_command

    def counting_send(connection: Any, command: Any, check_health: bool = True) -> None:
        sent.append(command)
        send(connection, command, check_health)

    monkeypatch.setattr(redis_py.connection.Connection, "send_packed_command", counting_send)

    # When the next order's jobs are pushed
    pushed = dispatch_jobs(queue, order_jobs)

    # Then all three went in one write to Redis
    assert (pushed, len(sent)) == (3, 1)


def test_pushing_a_job_twice_queues_it_once(
    session: Session, queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given jobs pushed, but their marks lost (the process died before committing them)
    order, order_jobs = placed(session)
    push_jobs(session, queue, order_jobs)
    for job in order_jobs:
        job.pushed_at = None
    session.commit()

    # When they are pushed again
    push_jobs(session, queue, order_jobs)

    # Then each is queued once
    assert queued_job_ids(redis, prefix) == order_jobs_waiting(order.public_id)


def test_with_redis_unreachable_the_jobs_stay_for_the_relay(
    session: Session, unreachable_queue: JobQueue
) -> None:
    _, order_jobs = placed(session)

    assert push_jobs(session, unreachable_queue, order_jobs) == 0

    session.expire_all()
    assert all(job.pushed_at is None for job in session.scalars(select(OrderJob)))
