"""Step 7's check: a fourth job, notify_warehouse, on its own queue, 10 s after payment."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from jobs import Worker
from shop.handlers import build_handlers

ORDER = {"email": "ada@example.com", "items": [{"sku": "TEA-SENCHA", "quantity": 2}]}


def test_a_paid_order_tells_the_warehouse_ten_seconds_later(
    app: Flask, client: FlaskClient, prefix: str
) -> None:
    # Given the shop's handlers, with notify_warehouse among them
    handlers = build_handlers(app)
    assert "notify_warehouse" in handlers, "no notify_warehouse handler in build_handlers"

    # When an order is placed and a worker runs its payment
    placed = client.post("/orders", json=ORDER).get_json()
    order_id, public_id = placed["order_id"], placed["public_id"]
    paid_at = time.time()
    Worker(app.extensions["redis"], handlers, prefix=prefix, block_timeout=0.1).run(
        ["payments"], burst=True)

    # Then its warehouse job waits in the delayed set, for the warehouse queue, 10 s on
    job = ("warehouse", f"order-{public_id}-notify_warehouse")
    (state,) = app.extensions["queue"].states([job])
    assert state is not None, "paying the order dispatched no notify_warehouse job for it"
    assert (state.state, state.queue) == ("delayed", "warehouse"), state
    assert state.due_at is not None and 8 <= state.due_at - paid_at <= 12, state

    # When the job runs (here at once), and runs again
    handlers["notify_warehouse"].handle({"order_id": order_id})
    handlers["notify_warehouse"].handle({"order_id": order_id})

    # Then the warehouse has the order's pick list, once
    pick_list = Path(app.instance_path) / "warehouse" / f"order-{order_id}.txt"
    assert pick_list.read_text() == "TEA-SENCHA x 2\n"
