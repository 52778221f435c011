"""The demo controls: payment settings every worker reads from the page, checked first."""

from __future__ import annotations

import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient

from shop.demo.settings import settings_key
from shop.handlers.registry import build_gateway
from tests.shop.support import post_form


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
