"""The demo controls: payment settings every worker reads, the synchronous checkout, and
that none of it exists under the production setting."""

from __future__ import annotations

import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop import create_app
from shop.demo.settings import settings_key
from shop.handlers.registry import build_gateway
from shop.models import Order
from shop.orders.forms import quantity_field
from tests.shop.support import csrf_token, post_form, queue_keys

ORDER_FORM = {"email": "ada@example.com", quantity_field("BISCUITS"): "2"}


def test_payment_settings_set_on_the_page_reach_the_gateway(
    app: Flask, client: FlaskClient
) -> None:
    gateway = build_gateway(app)  # as a worker builds it, before the change

    response = post_form(client, "/demo/payment", {
        "latency_seconds": "0.25", "failure_percent": "40", "next": "/orders/1",
    })

    assert response.status_code == 303
    assert response.headers["Location"] == "/orders/1"
    settings = gateway.settings()
    assert (settings.latency_seconds, settings.failure_rate) == (0.25, 0.4)
    assert "Payments now take 250 ms and 40% of them are declined." in client.get("/").text


def test_impossible_payment_settings_are_refused(
    client: FlaskClient, redis: redis_py.Redis, prefix: str
) -> None:
    form = {"latency_seconds": "1", "failure_percent": "150"}

    response = post_form(client, "/demo/payment", form)

    assert response.status_code == 303
    assert redis.exists(settings_key(prefix)) == 0
    assert "failure rate must be between 0 and 1" in client.get("/").text


def test_the_next_page_must_be_on_this_site(client: FlaskClient) -> None:
    form = {"latency_seconds": "1", "failure_percent": "0", "next": "//evil.example/"}

    response = post_form(client, "/demo/payment", form)

    assert response.headers["Location"] == "/"


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


def test_under_the_production_setting_there_are_no_demo_controls(app: Flask) -> None:
    production = create_app(app.config | {"SHOP_DEMO": False})
    client = production.test_client()
    token = csrf_token(client)

    page = client.get("/").text
    assert "Demo controls" not in page and "synchronously" not in page
    for path in ("/demo/payment", "/demo/faults/kill-worker", "/demo/faults/malformed",
                 "/demo/faults/reconnect", "/orders/sync"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
    assert client.get("/demo/invariant").status_code == 404
    production.extensions["redis"].close()
    production.extensions["app_redis"].close()
    production.extensions["db"].engine.dispose()
