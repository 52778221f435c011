"""A database recreated under a Redis that remembers: the new orders' jobs still run.

Redis keeps a succeeded job's state a week, and skips a job whose id it knows. A recreated
database (a reset demo, a restored backup) hands out order ids again, so job ids built from
them would name old jobs; ids built from the orders' public ids do not.
"""

from __future__ import annotations

import signal
from typing import Any

from alembic import command

from shop.db import create_database, init_db, migration_config
from tests.e2e.support import Http, Shop, wait_for

ORDER = {"email": "ada@example.com", "items": [{"sku": "BISCUITS", "quantity": 1}]}


def place_and_finish(http: Http) -> dict[str, Any]:
    """Place the order, wait until its three jobs are done, and return the order page's JSON."""
    status, _, body = http.request("POST", "/orders", ORDER)
    assert status == 201, body
    path = f"/orders/{body['order_id']}"

    def finished() -> dict[str, Any] | None:
        order: dict[str, Any] = http.get(path)
        return order if {job["state"] for job in order["jobs"]} == {"succeeded"} else None

    return wait_for(finished, f"order {body['order_id']}'s jobs to succeed", seconds=60)


def recreate_database(url: str) -> None:
    """Drop every table the migrations made, then make them afresh, as init-db does."""
    database = create_database(url)
    try:
        with database.engine.begin() as connection:
            command.downgrade(migration_config(connection), "base")
        init_db(database)
    finally:
        database.engine.dispose()


def stop_all(shop: Shop) -> None:
    """Stop the web app and the worker, and wait until they have exited."""
    for process in shop.processes:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    shop.processes.clear()


def test_after_the_database_is_recreated_a_new_orders_jobs_run(shop: Shop) -> None:
    # Given an order whose jobs ran, their states kept in Redis
    shop.env["SHOP_PAYMENT_LATENCY"] = "0.1"
    http = shop.start_web()
    shop.start_worker()
    first = place_and_finish(http)
    assert (first["order_id"], first["status"]) == (1, "paid")

    # When the database is recreated and the shop started again, Redis kept as it is
    stop_all(shop)
    recreate_database(shop.env["DATABASE_URL"])
    http = shop.start_web()
    shop.start_worker()

    # Then a new order, given the same id, is paid and confirmed: its jobs ran, not old ones
    second = place_and_finish(http)
    assert second["order_id"] == 1
    assert (second["status"], second["confirmation_sent"]) == ("paid", True)
