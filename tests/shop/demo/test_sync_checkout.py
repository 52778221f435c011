"""The demo's synchronous checkout: the three jobs run inside the request, before the answer."""

from __future__ import annotations

import redis as redis_py
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import Order
from shop.orders.forms import quantity_field
from tests.shop.support import post_form, queue_keys

ORDER_FORM = {"email": "ada@example.com", quantity_field("BISCUITS"): "2"}


def test_the_synchronous_checkout_runs_the_three_jobs_before_answering(
    client: FlaskClient, session: Session, redis: redis_py.Redis, prefix: str
) -> None:
    response = post_form(client, "/orders/sync", ORDER_FORM)

    assert response.status_code == 303
    order = session.scalars(select(Order)).one()
    assert order.status == "paid"
    assert [run["type"] for run in order.inline_jobs or []] == [
        "order_confirmation", "process_payment", "generate_report",
    ]
    assert all(run["error"] is None for run in order.inline_jobs or [])
    assert order.confirmation_sent_at is not None
    # Answered after the last job, not when the order was saved
    assert order.responded_at is not None and order.inline_jobs
    assert order.responded_at.timestamp() >= order.inline_jobs[-1]["finished_at"]
    assert queue_keys(redis, prefix) == []  # nothing was queued
    page = client.get(response.headers["Location"]).text
    assert "processed inside the request" in page
    assert "POST /orders/sync" in page


def test_a_payment_declined_inside_the_request_fails_the_order(
    client: FlaskClient, session: Session
) -> None:
    post_form(client, "/demo/payment", {"latency_seconds": "0", "failure_percent": "100"})

    post_form(client, "/orders/sync", ORDER_FORM)

    order = session.scalars(select(Order)).one()
    [payment] = [run for run in order.inline_jobs or [] if run["type"] == "process_payment"]
    assert payment["error"].startswith("PaymentDeclined")
    assert client.get(f"/orders/{order.id}", headers={"Accept": "application/json"}).json[
        "status"] == "payment_failed"
