"""The lesson end to end: POST /orders answers at once, worker.py runs the three jobs."""

from __future__ import annotations

import signal
import time
from typing import Any

from tests.e2e.support import Http, Inbox, Shop, wait_for

PAYMENT_SECONDS = 2.0


def place_order(http: Http, email: str = "ada@example.com") -> tuple[float, dict[str, Any]]:
    sku = http.get("/products")[0]["sku"]
    started = time.monotonic()
    status, headers, body = http.request(
        "POST", "/orders", {"email": email, "items": [{"sku": sku, "quantity": 2}]}
    )
    elapsed = time.monotonic() - started
    assert status == 201, body
    assert headers["Location"].endswith(f"/orders/{body['order_id']}")
    return elapsed, body


def job_states(http: Http, order_id: int) -> dict[str, str]:
    order = http.get(f"/orders/{order_id}")
    return {job["type"]: job["state"] for job in order["jobs"]}


def test_an_order_is_answered_at_once_and_its_jobs_run_in_the_worker(
    shop: Shop, smtp_server: tuple[int, Inbox]
) -> None:
    # Given the web app and one worker, a real SMTP server and a 2 s payment gateway
    smtp_port, inbox = smtp_server
    shop.env |= {
        "SHOP_SMTP_HOST": "127.0.0.1",
        "SHOP_SMTP_PORT": str(smtp_port),
        "SHOP_PAYMENT_LATENCY": str(PAYMENT_SECONDS),
    }
    http = shop.start_web()
    shop.start_worker()

    # When an order is placed over HTTP
    elapsed, body = place_order(http)

    # Then the answer came well before the payment could have finished
    assert elapsed < PAYMENT_SECONDS / 2, f"POST /orders took {elapsed:.2f} s"
    assert body["status"] == "pending"
    assert sorted(job["type"] for job in body["jobs"]) == [
        "generate_report", "order_confirmation", "process_payment",
    ]
    # And the worker runs all three jobs
    order_id = body["order_id"]
    wait_for(
        lambda: set(job_states(http, order_id).values()) == {"succeeded"},
        "all three jobs to succeed", seconds=60,
    )
    order = http.get(f"/orders/{order_id}")
    assert order["status"] == "paid"
    assert all(job["attempts"] == 1 for job in order["jobs"])
    # And the confirmation went out over SMTP, and the report can be viewed
    assert len(inbox.messages) == 1
    assert str(order_id) in inbox.messages[0]["Subject"] + inbox.messages[0].get_payload()
    assert order["report_url"], order
    report = http.get(order["report_url"])
    assert report["id"]
    assert "[OK] Job" in shop.log("worker")


def test_sigterm_lets_the_running_job_finish_then_the_worker_exits_0(shop: Shop) -> None:
    # Given a worker in the middle of a 2 s payment
    shop.env["SHOP_PAYMENT_LATENCY"] = str(PAYMENT_SECONDS)
    http = shop.start_web()
    worker = shop.start_worker("worker", "--queue", "payments")
    _, body = place_order(http)
    order_id = body["order_id"]
    wait_for(
        lambda: job_states(http, order_id)["process_payment"] == "running",
        "the payment job to start",
    )

    # When the worker is sent SIGTERM
    worker.send_signal(signal.SIGTERM)

    # Then it finishes the payment, records it, and exits 0
    assert worker.wait(timeout=30) == 0, shop.log("worker")
    assert job_states(http, order_id)["process_payment"] == "succeeded"
    assert http.get(f"/orders/{order_id}")["status"] == "paid"
    assert "Received SIGTERM" in shop.log("worker")
