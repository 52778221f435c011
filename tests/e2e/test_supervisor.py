"""deploy/ run, not only read: the shipped supervisor configuration under a real supervisord.

The files are rendered with this checkout's paths and the test's ports and database
(tests/e2e/supervisor.py); everything else is as shipped, the Redis configuration included.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shop.config import DEFAULTS
from tests.e2e.supervisor import SHIPPED, Deployment
from tests.e2e.support import Http, wait_for

PAYMENT_SECONDS = 3.0  # long enough to stop the workers while a payment runs
ORDER = {"email": "ada@example.com", "items": [{"sku": "BISCUITS", "quantity": 1}]}
PROGRAMS = {f"shop:shop-worker_{n:02d}" for n in range(4)} | {
    "shop-redis", "shop:shop-web", "shop:shop-relay",
}


@pytest.fixture
def deployment(tmp_path: Path, database_url: str) -> Iterator[Deployment]:
    """The shipped configuration, started by a supervisord of the test's own."""
    deployment = Deployment(tmp_path / "deploy", database_url,
                            {"SHOP_PAYMENT_LATENCY": str(PAYMENT_SECONDS)})
    deployment.write()
    deployment.init_db()
    deployment.start()
    try:
        yield deployment
    finally:
        deployment.stop()


def place(http: Http) -> dict[str, Any]:
    status, _, body = http.request("POST", "/orders", ORDER)
    assert status == 201, body
    order: dict[str, Any] = http.get(f"/orders/{body['order_id']}")
    return order


def job(http: Http, order_id: int, job_type: str) -> dict[str, Any]:
    jobs = http.get(f"/orders/{order_id}")["jobs"]
    found: dict[str, Any] = next(each for each in jobs if each["type"] == job_type)
    return found


def all_succeeded(http: Http, order_id: int) -> bool:
    return {each["state"] for each in http.get(f"/orders/{order_id}")["jobs"]} == {"succeeded"}


def answers(http: Http) -> bool:
    try:
        return bool(http.get("/products"))
    except OSError:
        return False


def test_the_shipped_configuration_runs_an_order_and_stops_without_losing_a_job(
    deployment: Deployment,
) -> None:
    # Given supervisord started every program the configuration names
    assert set(deployment.wait_running()) == PROGRAMS
    http = deployment.http
    wait_for(lambda: answers(http), "the web app to answer", seconds=60)

    # When an order is placed through it, Then its jobs complete
    first = place(http)
    wait_for(lambda: all_succeeded(http, first["order_id"]), "the first order's jobs")
    assert http.get(f"/orders/{first['order_id']}")["status"] == "paid"

    # When supervisorctl stops the group while a payment runs
    second = place(http)
    wait_for(lambda: job(http, second["order_id"], "process_payment")["state"] == "running",
             "the second payment to start")
    print(deployment.ctl("stop", "shop:*"))

    # Then each worker ended cleanly, within stopwaitsecs (supervisor did not kill it),
    # and Redis, outside the group, still runs
    log = deployment.supervisord_log()
    for n in range(4):
        assert f"stopped: shop-worker_{n:02d} (exit status 0)" in log, log
    assert "SIGKILL" not in log, log
    assert deployment.statuses()["shop-redis"] == "RUNNING"

    # When the group is started again
    print(deployment.ctl("start", "shop:*"))
    deployment.wait_running()
    wait_for(lambda: answers(http), "the web app to answer again", seconds=60)

    # Then the payment that ran during the stop was neither lost nor run twice
    third = place(http)
    wait_for(lambda: all_succeeded(http, third["order_id"]), "a new order's jobs")
    payment = job(http, second["order_id"], "process_payment")
    assert (payment["state"], payment["attempts"]) == ("succeeded", 1)
    assert http.get(f"/orders/{second['order_id']}")["status"] == "paid"
    job_id = f"order-{second['public_id']}-process_payment"
    runs = sum(deployment.log(f"worker_{n:02d}.log").count(f"[OK] Job {job_id} ")
               for n in range(4))
    assert runs == 1

    # When supervisord itself shuts down (the host does), Then Redis stops last
    deployment.stop()
    log = deployment.supervisord_log()
    workers_stopped = max(log.rindex(f"stopped: shop-worker_{n:02d}") for n in range(4))
    assert log.rindex("stopped: shop-redis (exit status 0)") > workers_stopped, log


def test_what_the_configuration_says_about_shutdown_matches_the_worker() -> None:
    config = configparser.ConfigParser(interpolation=None, strict=False)
    config.read_string(SHIPPED.read_text())
    worker = config["program:shop-worker"]
    environment = dict(re.findall(r'(\w+)="([^"]*)"', worker["environment"]))

    # The worker stops on TERM, and gets its shutdown timeout and more before a KILL
    assert worker["stopsignal"].split()[0] == "TERM"
    shutdown_timeout = float(environment["JOBS_SHUTDOWN_TIMEOUT"])
    assert shutdown_timeout == DEFAULTS["JOBS_SHUTDOWN_TIMEOUT"]
    assert float(worker["stopwaitsecs"].split()[0]) >= shutdown_timeout + 10
    # And Redis is no part of the group a deploy stops, and stops after everything else
    assert "shop-redis" not in config["group:shop"]["programs"]
    priorities = {name: int(config[name].get("priority", "999").split()[0])
                  for name in config.sections() if name.startswith("program:")}
    assert min(priorities, key=priorities.__getitem__) == "program:shop-redis"
