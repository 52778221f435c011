"""POST /orders places an order once: Idempotency-Key replays, and the outbox commit."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

import jobs
from devtools.embedded_redis import free_port
from jobs import JobQueue
from shop.db import Database
from shop.models import OrderJob, utc_now
from shop.orders.forms import quantity_field
from shop.orders.idempotency import IdempotencyKey
from shop.orders.services import place_order
from shop.orders.validation import OrderLine
from tests.shop.support import (
    count_orders,
    order_jobs_waiting,
    post_form,
    public_id_of,
    queue_keys,
    queued_job_ids,
)

BODY = {"email": "ada@example.com", "items": [{"sku": "MUG-ENAMEL", "quantity": 2}]}


def post(client: FlaskClient, body: Any = BODY, key: str | None = "key-1") -> Any:
    """POST /orders as JSON with an Idempotency-Key header (none if key is None)."""
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/orders", json=body, headers=headers)


def test_the_same_key_and_body_get_the_first_response_and_create_nothing(
    client: FlaskClient, database: Database, redis: redis_py.Redis, prefix: str
) -> None:
    first = post(client)

    again = post(client)

    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count_orders(database) == 1
    public_id = public_id_of(database, first.json["order_id"])
    assert queued_job_ids(redis, prefix) == order_jobs_waiting(public_id)


def test_the_same_key_with_another_body_is_refused_naming_the_header(
    client: FlaskClient, database: Database
) -> None:
    post(client)

    response = post(client, BODY | {"email": "grace@example.com"})

    assert response.status_code == 422
    assert response.json["error"]["field"] == "Idempotency-Key"
    assert "different request" in response.json["error"]["message"]
    assert count_orders(database) == 1


def test_a_key_can_place_a_new_order_once_it_expired(
    client: FlaskClient, database: Database, app: Flask
) -> None:
    first = post(client)
    ttl_seconds = app.config["SHOP_IDEMPOTENCY_TTL"]
    assert ttl_seconds == 24 * 60 * 60
    with database.sessions.begin() as session:
        a_day_ago = utc_now() - timedelta(seconds=ttl_seconds + 1)
        session.execute(update(IdempotencyKey).values(created_at=a_day_ago))

    again = post(client)

    assert again.status_code == 201
    assert again.json["order_id"] != first.json["order_id"]
    assert count_orders(database) == 2


def test_without_a_key_every_post_places_an_order(client: FlaskClient, database: Database) -> None:
    post(client, key=None)
    post(client, key=None)

    assert count_orders(database) == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_malformed_key_is_refused_naming_the_header(
    client: FlaskClient, database: Database, key: str
) -> None:
    response = client.post("/orders", json=BODY, headers={"Idempotency-Key": key})

    assert response.status_code == 400
    assert response.json["error"]["field"] == "Idempotency-Key"
    assert count_orders(database) == 0


def test_a_request_that_fails_validation_does_not_use_up_its_key(
    client: FlaskClient, database: Database
) -> None:
    assert post(client, {"email": "ada@example.com", "items": []}).status_code == 422

    assert post(client).status_code == 201
    assert count_orders(database) == 1


def test_fifty_concurrent_posts_with_one_key_place_one_order(
    app: Flask, database: Database, redis: redis_py.Redis, prefix: str
) -> None:
    # Given 50 clients that will post the same order with the same key at the same moment
    start = threading.Barrier(50)
    responses: list[Any] = []
    errors: list[BaseException] = []

    def post_once() -> None:
        client = app.test_client()
        start.wait()
        try:
            responses.append(post(client, key="double-click"))
        except BaseException as error:  # the test thread asserts there were none
            errors.append(error)

    # When they do
    threads = [threading.Thread(target=post_once) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then one order exists with its three jobs, and every client got its answer or a 409
    assert errors == []
    assert count_orders(database) == 1
    winners = [response for response in responses if response.status_code == 201]
    assert {response.json["order_id"] for response in winners} == {1}
    assert all(response.status_code in (201, 409) for response in responses)
    assert len(winners) >= 1
    assert queued_job_ids(redis, prefix) == order_jobs_waiting(public_id_of(database, 1))


def test_the_checkout_form_carries_a_fresh_key(client: FlaskClient) -> None:
    first = client.get("/").text
    second = client.get("/").text

    [first_key] = [line for line in first.splitlines() if 'name="idempotency_key"' in line]
    [second_key] = [line for line in second.splitlines() if 'name="idempotency_key"' in line]
    assert 'type="hidden"' in first_key
    assert first_key != second_key


def test_a_form_submitted_twice_places_one_order(client: FlaskClient, database: Database) -> None:
    form = {"email": "ada@example.com", quantity_field("BISCUITS"): "2", "idempotency_key": "f1"}

    first = post_form(client, "/orders", form)
    again = post_form(client, "/orders", form)

    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert count_orders(database) == 1
    changed = post_form(client, "/orders", form | {quantity_field("BISCUITS"): "3"})
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.text


def test_when_the_commit_fails_nothing_is_queued(
    app: Flask, client: FlaskClient, database: Database, redis: redis_py.Redis, prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an order 1, and a stray outbox row holding the job id order 2's payment will need
    # (its public id made foreseeable here)
    with database.sessions() as session:
        order = place_order(session, "ada@example.com", [OrderLine("BISCUITS", 1)])
        session.add(OrderJob(order_id=order.id, job_id="order-0123456789abcdef-process_payment",
                             type="process_payment", queue="payments"))
        session.commit()
    monkeypatch.setattr(secrets, "token_hex", lambda nbytes: "0123456789abcdef")

    # When order 2 is posted, its commit fails for real on the UNIQUE job_id
    with pytest.raises(IntegrityError):  # TESTING: Flask lets the error through instead of a 500
        post(client)

    # Then order 2 does not exist and nothing was queued for it
    assert count_orders(database) == 1
    assert queue_keys(redis, prefix) == []


def test_with_redis_down_an_order_is_placed_at_once_its_jobs_waiting_to_be_queued(
    app: Flask, client: FlaskClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the web app's Redis is down: nobody listens where its queue connects
    # (tests/e2e/test_outbox.py stops and restarts a real one)
    nobody = jobs.connect(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.25)
    monkeypatch.setitem(app.extensions, "queue", JobQueue(nobody, app.config["JOBS_PREFIX"]))

    # When an order is posted
    started = time.monotonic()
    response = post(client)
    elapsed = time.monotonic() - started

    # Then it is placed, well within a request's patience, its jobs left in the outbox
    assert response.status_code == 201, response.json
    assert elapsed < 2.0, f"POST /orders took {elapsed:.2f} s with Redis down"
    with database.sessions() as session:
        assert [job.pushed_at for job in session.scalars(select(OrderJob))] == [None] * 3
    order_id = response.json["order_id"]
    page = client.get(f"/orders/{order_id}", headers={"Accept": "application/json"}).json
    assert {job["state"] for job in page["jobs"]} == {"unqueued"}
    html = client.get(f"/orders/{order_id}").text
    assert "waiting to be queued" in html
