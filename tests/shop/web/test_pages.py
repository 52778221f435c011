"""The pages a client reads: the shop, an order with its jobs, a report; JSON or HTML."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from shop.db import SEED_PRODUCTS
from shop.models import Order, utc_now
from shop.money import format_cents
from tests.shop.support import run_worker

JSON = {"Accept": "application/json"}


def place(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    """Place an order of two mugs over the JSON API and return the response body."""
    body = {"email": "ada@example.com", "items": [{"sku": "MUG-ENAMEL", "quantity": 2}]}
    response = client.post("/orders", json=body | overrides)
    assert response.status_code == 201, response.json
    return dict(response.json or {})


def test_the_shop_page_shows_every_product_with_its_price_and_a_form(client: FlaskClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    for sku, name, price_cents in SEED_PRODUCTS:
        assert name in response.text
        assert format_cents(price_cents) in response.text
        assert f'<label for="quantity-{sku}">' in response.text
    assert '<label for="email">' in response.text
    assert 'action="/orders"' in response.text


def test_products_are_listed_as_json(client: FlaskClient) -> None:
    response = client.get("/products", headers=JSON)

    assert response.status_code == 200
    listed = {product["sku"]: product for product in response.json or []}
    assert listed == {
        sku: {"sku": sku, "name": name, "price_cents": price_cents}
        for sku, name, price_cents in SEED_PRODUCTS
    }


def test_a_new_order_page_shows_its_queued_jobs(client: FlaskClient) -> None:
    placed = place(client)

    response = client.get(f"/orders/{placed['order_id']}", headers=JSON)

    assert response.status_code == 200
    order = response.json
    assert order["order_id"] == placed["order_id"]
    assert order["status"] == "pending"
    assert order["total_cents"] == 2900
    assert order["confirmation_sent"] is False
    assert order["report_url"] is None
    assert order["items"] == [{
        "sku": "MUG-ENAMEL", "name": "Enamel mug", "quantity": 2,
        "unit_price_cents": 1450, "line_total_cents": 2900,
    }]
    assert [(job["id"], job["state"], job["attempts"]) for job in order["jobs"]] == [
        (job["id"], "queued", 0) for job in placed["jobs"]
    ]
    assert all(job["enqueued_at"] for job in order["jobs"])


def test_after_the_worker_ran_the_order_is_paid_confirmed_and_reported(
    app: Flask, client: FlaskClient
) -> None:
    # Given an order
    order_id = place(client)["order_id"]

    # When a real worker drains the shop's queues
    counts = run_worker(app)

    # Then every job succeeded at its first attempt
    assert counts["processed"] == 3
    order = client.get(f"/orders/{order_id}", headers=JSON).json
    assert {job["state"] for job in order["jobs"]} == {"succeeded"}
    assert {job["attempts"] for job in order["jobs"]} == {1}
    assert all(job["started_at"] <= job["finished_at"] for job in order["jobs"])
    # And the order is paid, confirmed, and links its report
    assert order["status"] == "paid"
    assert order["confirmation_sent"] is True
    assert order["report_url"] == f"/reports/{order['report_id']}"
    report = client.get(order["report_url"], headers=JSON).json
    assert report["order_id"] == order_id
    assert report["totals"] == {"orders": 1, "units": 2, "revenue_cents": 2900}
    # And the HTML pages say so too
    page = client.get(f"/orders/{order_id}").text
    assert "paid" in page and "succeeded" in page and order["report_url"] in page
    report_page = client.get(order["report_url"])
    assert report_page.status_code == 200
    assert "Enamel mug" in report_page.text and "$29.00" in report_page.text


def test_an_order_whose_payment_the_queue_gave_up_on_shows_payment_failed(
    app: Flask, client: FlaskClient
) -> None:
    # Given a gateway that declines every charge
    app.config["SHOP_PAYMENT_FAILURE_RATE"] = 1.0
    order_id = place(client)["order_id"]

    # When the worker has used up the payment's attempts
    run_worker(app, max_attempts=1)

    # Then the order shows payment_failed, with the gateway's error on the job
    order = client.get(f"/orders/{order_id}", headers=JSON).json
    assert order["status"] == "payment_failed"
    payment = next(job for job in order["jobs"] if job["type"] == "process_payment")
    assert payment["state"] == "failed"
    assert "declined" in payment["error"]
    assert "payment failed" in client.get(f"/orders/{order_id}").text


def test_the_order_page_is_html_by_default(client: FlaskClient) -> None:
    placed = place(client)

    response = client.get(f"/orders/{placed['order_id']}")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "ada@example.com" in response.text
    assert "$29.00" in response.text
    assert "not sent yet" in response.text
    for job in placed["jobs"]:
        assert job["id"] in response.text


def test_a_confirmation_claimed_but_not_sent_shows_as_being_sent(
    client: FlaskClient, app: Flask
) -> None:
    placed = place(client)
    with app.extensions["db"].sessions.begin() as session:
        session.get_one(Order, placed["order_id"]).confirmation_claimed_at = utc_now()

    assert "being sent" in client.get(f"/orders/{placed['order_id']}").text


@pytest.mark.parametrize(
    ("path", "field"),
    [("/orders/999", "order_id"), ("/reports/999", "report_id"), ("/orders/abc", None),
     ("/nowhere", None)],
)
def test_unknown_pages_are_404_in_json(client: FlaskClient, path: str, field: str | None) -> None:
    response = client.get(path, headers=JSON)

    assert response.status_code == 404
    assert response.json["error"]["field"] == field
    assert response.json["error"]["message"]


@pytest.mark.parametrize("path", ["/orders/999", "/reports/999", "/nowhere"])
def test_unknown_pages_are_404_in_html(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert 'role="alert"' in response.text


def test_a_browser_asking_for_products_gets_the_shop_page(client: FlaskClient) -> None:
    response = client.get("/products", headers={"Accept": "text/html,application/xhtml+xml,*/*"})

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert 'href="/"' in response.text
