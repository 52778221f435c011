"""POST /orders: JSON and the HTML form; bad input persists and queues nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis as redis_py
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs import Keys
from shop.db import Database
from shop.models import Order, OrderJob
from shop.orders.forms import quantity_field
from shop.orders.validation import MAX_QUANTITY
from tests.shop.support import (
    count_orders,
    order_jobs_waiting,
    post_form,
    queue_keys,
    queued_job_ids,
)

GOOD_ITEM = {"sku": "MUG-ENAMEL", "quantity": 2}


def test_a_json_order_is_stored_and_its_three_jobs_queued(
    client: FlaskClient, session: Session, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a valid order
    body = {"email": "ada@example.com", "items": [GOOD_ITEM, {"sku": "BISCUITS", "quantity": 1}]}

    # When it is posted as JSON
    response = client.post("/orders", json=body)

    # Then it is created, pending, with its jobs named
    assert response.status_code == 201, response.json
    order_id = response.json["order_id"]
    assert response.headers["Location"] == f"/orders/{order_id}"
    assert response.json["status"] == "pending"
    jobs = {job["type"]: job for job in response.json["jobs"]}
    assert {kind: job["queue"] for kind, job in jobs.items()} == {
        "order_confirmation": "emails", "process_payment": "payments", "generate_report": "reports",
    }
    # And the order and its items are in the database, priced by the database
    order = session.get(Order, order_id)
    assert order is not None
    assert [(item.sku, item.quantity) for item in order.items] == [
        ("MUG-ENAMEL", 2), ("BISCUITS", 1),
    ]
    assert order.total_cents == 2 * 1450 + 399
    assert {job.job_id for job in session.scalars(select(OrderJob))} == {
        job["id"] for job in jobs.values()
    }
    # And each job waits in Redis on its queue, carrying only the order id
    for job in jobs.values():
        [raw] = redis.lrange(Keys(prefix).queue(job["queue"]), 0, -1)
        queued = json.loads(raw)
        assert queued["id"] == job["id"]
        assert queued["handler"] == job["type"]
        assert queued["payload"] == {"order_id": order_id}
        assert {"attempts", "created_at", "queue"} <= queued.keys()


def test_the_client_cannot_set_prices_or_status(client: FlaskClient, session: Session) -> None:
    body = {
        "email": "ada@example.com", "status": "paid", "total_cents": 1,
        "items": [{**GOOD_ITEM, "unit_price_cents": 1}],
    }

    response = client.post("/orders", json=body)

    order = session.get(Order, response.json["order_id"])
    assert order is not None
    assert (order.status, order.total_cents) == ("pending", 2 * 1450)


BAD_BODIES: list[tuple[str, Any, str]] = [
    ("not an object", [GOOD_ITEM], "body"),
    ("missing email", {"items": [GOOD_ITEM]}, "email"),
    ("malformed email", {"email": "ada.example.com", "items": [GOOD_ITEM]}, "email"),
    ("email not a string", {"email": ["ada@example.com"], "items": [GOOD_ITEM]}, "email"),
    ("missing items", {"email": "ada@example.com"}, "items"),
    ("empty items", {"email": "ada@example.com", "items": []}, "items"),
    ("items not a list", {"email": "ada@example.com", "items": "MUG-ENAMEL"}, "items"),
    ("unknown sku", {"email": "ada@example.com", "items": [{"sku": "NOPE", "quantity": 1}]},
     "items[0].sku"),
    ("zero quantity", {"email": "a@b.co", "items": [{**GOOD_ITEM, "quantity": 0}]},
     "items[0].quantity"),
    ("negative quantity", {"email": "a@b.co", "items": [{**GOOD_ITEM, "quantity": -3}]},
     "items[0].quantity"),
    ("huge quantity", {"email": "a@b.co", "items": [{**GOOD_ITEM, "quantity": MAX_QUANTITY + 1}]},
     "items[0].quantity"),
    ("float quantity", {"email": "a@b.co", "items": [{**GOOD_ITEM, "quantity": 1.5}]},
     "items[0].quantity"),
    ("string quantity", {"email": "a@b.co", "items": [{**GOOD_ITEM, "quantity": "2"}]},
     "items[0].quantity"),
    ("boolean quantity", {"email": "a@b.co", "items": [{**GOOD_ITEM, "quantity": True}]},
     "items[0].quantity"),
    ("missing quantity", {"email": "a@b.co", "items": [{"sku": "MUG-ENAMEL"}]},
     "items[0].quantity"),
    ("duplicate sku", {"email": "a@b.co", "items": [GOOD_ITEM, GOOD_ITEM]}, "items[1].sku"),
]


@pytest.mark.parametrize(
    ("body", "field"), [(body, field) for _, body, field in BAD_BODIES],
    ids=[name for name, _, _ in BAD_BODIES],
)
def test_bad_json_is_refused_naming_the_field(
    client: FlaskClient, database: Database, redis: redis_py.Redis, prefix: str,
    body: Any, field: str,
) -> None:
    response = client.post("/orders", json=body)

    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    assert response.json["error"]["message"]
    assert count_orders(database) == 0
    assert queue_keys(redis, prefix) == []


@pytest.mark.parametrize(
    ("data", "content_type", "status", "field"),
    [
        ('{"email": "ada@example.com", "items": [', "application/json", 400, "body"),
        ("", "application/json", 400, "body"),
        ('{"email": "ada@example.com"}', "text/plain", 415, "Content-Type"),
        ('{"email": "ada@example.com"}', None, 415, "Content-Type"),
        ('{"email": "ada@example.com", "pad": "' + "x" * 70_000 + '"}', "application/json", 413,
         "body"),
    ],
    ids=["invalid JSON", "empty body", "text/plain", "no content type", "too large"],
)
def test_unreadable_requests_are_refused_naming_the_field(
    client: FlaskClient, database: Database, redis: redis_py.Redis, prefix: str,
    data: str, content_type: str | None, status: int, field: str,
) -> None:
    response = client.post("/orders", data=data, content_type=content_type)

    assert response.status_code == status
    assert response.is_json
    assert response.json["error"]["field"] == field
    assert count_orders(database) == 0
    assert queue_keys(redis, prefix) == []


def test_the_form_places_an_order_and_lands_on_its_page(
    client: FlaskClient, session: Session, redis: redis_py.Redis, prefix: str
) -> None:
    form = {"email": "ada@example.com", quantity_field("TEAPOT-IRON"): "1"}

    response = post_form(client, "/orders", form)

    assert response.status_code == 303
    order = session.scalars(select(Order)).one()
    assert response.headers["Location"] == f"/orders/{order.id}"
    assert order.total_cents == 5200
    assert queued_job_ids(redis, prefix) == order_jobs_waiting(order.public_id)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert f"Order #{order.id}" in page.text


def test_a_bad_form_is_shown_again_with_errors_by_the_fields(
    client: FlaskClient, database: Database, redis: redis_py.Redis, prefix: str
) -> None:
    form = {"email": "not-an-email", quantity_field("TEAPOT-IRON"): "1000",
            quantity_field("BISCUITS"): "3"}

    response = post_form(client, "/orders", form)

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert 'id="email-error"' in response.text
    assert "is not a valid email address" in response.text
    assert f'id="{quantity_field("TEAPOT-IRON")}-error"' in response.text
    # The customer's input is kept
    assert 'value="not-an-email"' in response.text
    assert 'value="3"' in response.text
    assert count_orders(database) == 0
    assert queue_keys(redis, prefix) == []


def test_an_empty_form_asks_for_a_product(client: FlaskClient, database: Database) -> None:
    response = post_form(client, "/orders", {"email": "ada@example.com"})

    assert response.status_code == 422
    assert 'id="items-error"' in response.text
    assert count_orders(database) == 0
