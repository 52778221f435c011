"""With Redis stopped, orders are still placed; once it is back, each job runs exactly once.

A Redis of the test's own is stopped and restarted on its port: never the suite's shared one.
"""

from __future__ import annotations

import shutil
import signal
import sys
import time
from typing import Any

import pytest

from tests.e2e.fleet import OwnRedis
from tests.e2e.support import Http, Shop, wait_for

ORDER = {"email": "ada@example.com", "items": [{"sku": "BISCUITS", "quantity": 2}]}
FLASK = (sys.executable, "-m", "flask", "--app", "shop")


@pytest.fixture
def web_without_redis(shop: Shop, own_redis: OwnRedis) -> Http:
    """The web app on a Redis of the test's own, stopped once the app is up."""
    shop.env |= {"REDIS_URL": own_redis.url, "SHOP_PAYMENT_LATENCY": "0.1"}
    http = shop.start_web()
    own_redis.stop()
    return http


def place_order(http: Http) -> tuple[float, dict[str, Any]]:
    """POST the order; return how long the answer took, and its body."""
    started = time.monotonic()
    status, _, body = http.request("POST", "/orders", ORDER)
    elapsed = time.monotonic() - started
    assert status == 201, body
    return elapsed, body


def job_states(http: Http, order_id: int) -> dict[str, tuple[str, int | None]]:
    """Each job's (state, attempts), by type, as the order page shows them."""
    jobs = http.get(f"/orders/{order_id}")["jobs"]
    return {job["type"]: (job["state"], job["attempts"]) for job in jobs}


def test_jobs_of_an_order_placed_while_redis_was_down_run_once_it_is_back(
    shop: Shop, own_redis: OwnRedis, web_without_redis: Http
) -> None:
    http = web_without_redis

    # When an order is placed while Redis is down
    elapsed, body = place_order(http)

    # Then it is answered at once, and its page says its jobs wait to be queued
    assert elapsed < 2.0, f"POST /orders took {elapsed:.2f} s with Redis down"
    order_id = body["order_id"]
    assert set(job_states(http, order_id).values()) == {("unqueued", None)}

    # When Redis is back, the relay makes one pass and a worker drains the queues
    own_redis.start()
    shop.run(*FLASK, "relay", "--once", "--min-age", "0")
    worker = shop.run(sys.executable, "worker.py", "--burst")

    # Then each job ran, once
    assert set(job_states(http, order_id).values()) == {("succeeded", 1)}
    assert worker.stdout.decode().count("[OK] Job") == 3
    order = http.get(f"/orders/{order_id}")
    assert (order["status"], order["confirmation_sent"]) == ("paid", True)

    # And relaying and working again runs nothing more
    shop.run(*FLASK, "relay", "--once", "--min-age", "0")
    again = shop.run(sys.executable, "worker.py", "--burst")
    assert "[OK] Job" not in again.stdout.decode()
    assert {attempts for _, attempts in job_states(http, order_id).values()} == {1}


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_the_relay_process_pushes_when_redis_returns_and_exits_0_on_a_signal(
    shop: Shop, own_redis: OwnRedis, web_without_redis: Http, stop_signal: signal.Signals
) -> None:
    # Given an order placed while Redis is down, and the relay running
    http = web_without_redis
    _, body = place_order(http)
    relay = shop.start("relay", *FLASK, "relay", "--interval", "0.1", "--min-age", "0")

    # When Redis comes back
    own_redis.start()

    # Then the relay queues the order's jobs
    wait_for(
        lambda: {state for state, _ in job_states(http, body["order_id"]).values()} == {"queued"},
        "the relay to queue the jobs",
    )
    # And on the signal it exits 0
    relay.send_signal(stop_signal)
    assert relay.wait(timeout=30) == 0, shop.log("relay")
    assert "relayed 3 job(s)" in shop.log("relay")


def test_with_only_the_web_app_and_workers_an_order_placed_while_redis_was_down_is_not_lost(
    shop: Shop, own_redis: OwnRedis
) -> None:
    # Given the lesson's deployment: the web app and two workers, no relay process
    shop.env |= {"REDIS_URL": own_redis.url, "SHOP_PAYMENT_LATENCY": "0.1"}
    http = shop.start_web()
    workers = [shop.start_worker(f"worker-{n}") for n in (1, 2)]
    wait_for(lambda: all("Worker started" in shop.log(f"worker-{n}") for n in (1, 2)),
             "the workers to start")

    # When Redis stops, an order is placed, and Redis comes back empty (its data lost)
    own_redis.stop()
    _, body = place_order(http)
    order_id = body["order_id"]
    assert set(job_states(http, order_id).values()) == {("unqueued", None)}
    shutil.rmtree(own_redis.data_dir)
    own_redis.start()

    # Then a worker relays the jobs, and they run, each once
    wait_for(lambda: set(job_states(http, order_id).values()) == {("succeeded", 1)},
             "the order's jobs to succeed", seconds=60)
    logs = [shop.log(f"worker-{n}") for n in (1, 2)]
    assert sum(log.count("[OK] Job") for log in logs) == 3
    assert sum(log.count("relayed 3 job(s)") for log in logs) == 1
    assert all(worker.poll() is None for worker in workers)
