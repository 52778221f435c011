"""The order keeps when its request arrived and when its answer had been sent."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import Order

BODY = {"email": "ada@example.com", "items": [{"sku": "BISCUITS", "quantity": 1}]}


def test_the_answer_time_is_written_once_the_response_is_closed(
    client: FlaskClient, session: Session
) -> None:
    response = client.post("/orders", json=BODY)
    order_id = response.json["order_id"] if response.json else None
    before_close = session.get(Order, order_id)
    assert before_close is not None
    assert before_close.request_started_at is not None
    assert before_close.responded_at is None  # the server has not finished sending yet
    session.expire_all()

    response.close()  # what the WSGI server does after the last byte

    order = session.get(Order, order_id)
    assert order is not None and order.responded_at is not None
    assert order.request_started_at is not None
    assert order.request_started_at <= order.responded_at


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
