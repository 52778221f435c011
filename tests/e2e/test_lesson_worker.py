"""kill -9 mid-job, side by side: the lesson's worker (`worker.py --lesson`) loses the job,
the default worker's job runs once more after recovery. Real processes, a real Redis."""

from __future__ import annotations

from typing import Any

from tests.e2e.support import Http, Shop, wait_for

# The demo (SHOP_DEMO=1) for its invariant check, which names a lost job.
SLOW_PAYMENT = {"SHOP_DEMO": "1", "SHOP_PAYMENT_LATENCY": "3", "JOBS_RECOVERY_TIMEOUT": "1"}
ORDER = {"email": "ada@example.com", "items": [{"sku": "TEA-SENCHA", "quantity": 1}]}


def place_order(http: Http) -> int:
    status, _, body = http.request("POST", "/orders", ORDER)
    assert status == 201, body
    order_id: int = body["order_id"]
    return order_id


def jobs_of(http: Http, order_id: int) -> dict[str, dict[str, Any]]:
    return {job["type"]: job for job in http.get(f"/orders/{order_id}")["jobs"]}


def all_succeeded(http: Http, order_id: int) -> bool:
    return {job["state"] for job in jobs_of(http, order_id).values()} == {"succeeded"}


def invariant(http: Http) -> str:
    """The demo panel's invariant check, as its HTML."""
    html: str = http.get("/demo/invariant")["html"]
    return html


def test_kill_9_of_the_lessons_worker_mid_job_loses_the_job(shop: Shop) -> None:
    # Given the lesson's worker in the middle of a 3 s payment
    shop.env |= SLOW_PAYMENT
    http = shop.start_web()
    lesson = shop.start_worker("lesson", "--lesson", "--queue", "payments")
    order_id = place_order(http)
    wait_for(lambda: jobs_of(http, order_id)["process_payment"]["state"] == "running",
             "the lesson's worker to start the payment")
    assert "Worker started on queue: payments" in shop.log("lesson")

    # When it is killed with SIGKILL, and a reliable worker then serves every queue
    lesson.kill()
    lesson.wait()
    shop.start_worker("worker")
    # (long enough for its reaper to look for dead workers' jobs several times: the next
    # order's 3 s payment, against a 1 s recovery timeout)
    second = place_order(http)
    wait_for(lambda: all_succeeded(http, second), "the next order's jobs to succeed", 60)

    # Then the killed payment never ran again: still "running" on the dead worker, unpaid
    payment = jobs_of(http, order_id)["process_payment"]
    assert (payment["state"], payment["attempts"]) == ("running", 1), payment
    assert http.get(f"/orders/{order_id}")["status"] != "paid"
    # And the demo's invariant check names it: in no place at all
    public_id = http.get(f"/orders/{order_id}")["public_id"]
    assert f"<code>order-{public_id}-process_payment</code>: nowhere" in invariant(http)


def test_kill_9_of_the_default_worker_mid_job_runs_the_job_once_after_recovery(
    shop: Shop,
) -> None:
    # Given the default worker in the middle of a 3 s payment
    shop.env |= SLOW_PAYMENT
    http = shop.start_web()
    victim = shop.start_worker("victim", "--queue", "payments")
    order_id = place_order(http)
    wait_for(lambda: jobs_of(http, order_id)["process_payment"]["state"] == "running",
             "the worker to start the payment")

    # When it is killed with SIGKILL, and another worker serves every queue
    victim.kill()
    victim.wait()
    shop.start_worker("worker")

    # Then the payment runs again once the dead worker is noticed, and the order is paid
    wait_for(lambda: all_succeeded(http, order_id), "every job of the order to succeed", 60)
    payment = jobs_of(http, order_id)["process_payment"]
    assert payment["attempts"] == 2, payment
    assert http.get(f"/orders/{order_id}")["status"] == "paid"
    # And every job is in exactly one place
    assert "Every job is in exactly one place" in invariant(http)
