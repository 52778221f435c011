"""The order keeps when its request arrived and when its answer had been sent."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import Order

BODY = {"email": "ada@example.com", "items": [{"sku": "BISCUITS", "quantity": 1}]}


def test_the_answer_time_is_written_before_the_answer_after_the_jobs_were_pushed(
    client: FlaskClient, session: Session
) -> None:
    response = client.post("/orders", json=BODY)

    order_id = response.json["order_id"] if response.json else None
    order = session.get(Order, order_id)
    assert order is not None
    assert order.request_started_at is not None and order.responded_at is not None
    assert order.request_started_at <= order.responded_at
    pushed = [job.pushed_at for job in order.jobs]
    assert all(at is not None and at <= order.responded_at for at in pushed)


def test_a_replayed_request_does_not_move_the_times(client: FlaskClient, session: Session) -> None:
    headers = {"Idempotency-Key": "timing-1"}
    client.post("/orders", json=BODY, headers=headers).close()
    first = session.scalars(select(Order)).one()
    times = (first.request_started_at, first.responded_at)

    client.post("/orders", json=BODY, headers=headers).close()

    session.expire_all()
    again = session.get(Order, first.id)
    assert again is not None
    assert again.responded_at is not None
    assert (again.request_started_at, again.responded_at) == times
