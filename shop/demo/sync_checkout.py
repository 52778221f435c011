"""The demo's synchronous checkout: the lesson's "instead of", jobs run inside the request.

POST /orders/sync places the order like the checkout form, queues nothing, and runs the
three handlers one after the other before answering, so the customer waits for the
payment gateway. Each run's times and error are kept on the order (inline_jobs) for its
timeline, and the order page shows both response times side by side.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue

from shop.db import current_database
from shop.handlers.registry import build_handlers
from shop.models import Order, utc_now
from shop.orders.checkout import place_from_form
from shop.orders.placement import KEY_FIELD, Checkout
from shop.orders.request_timing import time_requests
from shop.orders.services import JOB_QUEUES, order_payload

logger = logging.getLogger(__name__)

bp = Blueprint("sync_checkout", __name__)
time_requests(bp)

# No jobs queued: the request runs them itself, and stamps its own answer once they ran.
SYNC_CHECKOUT = Checkout("sync", answer_json=False, queue_jobs=False)


@bp.post("/orders/sync")
def create_order_synchronously() -> ResponseReturnValue:
    """Place the order from the checkout form, run its three jobs, then answer."""
    placed = place_from_form(request.form.get(KEY_FIELD), SYNC_CHECKOUT)
    if placed.order_id is not None:  # placed now: not refused, nor an earlier one replayed
        run_inline(placed.order_id)
    return placed.response


def run_inline(order_id: int) -> None:
    """Run the order's three handlers here and now; keep how each went, and the answer's time."""
    handlers = build_handlers(current_app)
    runs: list[dict[str, Any]] = []
    for job_type in JOB_QUEUES:
        started_at = time.time()
        error = None
        try:
            handlers[job_type].handle(order_payload(order_id))
        # This path's one boundary, as the worker's is for queued jobs: a failed handler
        # is recorded and the next one runs, as the lesson's synchronous version would.
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}"
            logger.warning("order %s: %s failed inside the request: %s", order_id, job_type, error)
        runs.append({"type": job_type, "started_at": started_at, "finished_at": time.time(),
                     "error": error})
    with current_database().sessions.begin() as session:
        order = session.get_one(Order, order_id)
        order.inline_jobs = runs
        order.responded_at = utc_now()  # this is the request's last write before its answer
