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

from flask import Blueprint, current_app, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from shop.db import current_database
from shop.demo_mode import demo_only
from shop.forms import FormErrors, parse_order_form
from shop.handlers import build_handlers
from shop.idempotency import StoredResponse
from shop.models import Order, OrderJob, utc_now
from shop.orders import JOB_QUEUES, list_products, order_payload, place_order
from shop.placement import KEY_FIELD, place_once
from shop.request_timing import stamp, time_requests
from shop.validation import OrderError
from shop.views import render_shop

logger = logging.getLogger(__name__)

bp = demo_only(Blueprint("sync_checkout", __name__))
time_requests(bp)


@bp.post("/orders/sync")
def create_order_synchronously() -> ResponseReturnValue:
    """Place the order from the checkout form, run its three jobs, then answer."""
    placed: list[int] = []

    def place(session: Session) -> tuple[StoredResponse, list[OrderJob]]:
        skus = [product.sku for product in list_products(session)]
        order_request = parse_order_form(request.form, skus)
        order = place_order(session, order_request.email, order_request.lines)
        stamp(order, answered_later=True)
        placed.append(order.id)
        return StoredResponse(303, None, url_for("shop.show_order", order_id=order.id)), []

    fields = {name: value for name, value in request.form.items() if name != KEY_FIELD}
    try:
        response = place_once(request.form.get(KEY_FIELD), {"sync": fields}, place)
    except FormErrors as error:
        return render_shop(error.errors, 422)
    except OrderError as error:
        return render_shop({error.field: error.message}, 422)
    if placed:  # not a replay of an earlier request with this key
        run_inline(placed[0])
    return response


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
