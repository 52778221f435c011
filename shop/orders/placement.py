"""Placing an order once per Idempotency-Key: claim the key, place, commit, push; or replay.

Every checkout places its orders here, the JSON API, the form and the demo's synchronous
one alike; a Checkout says what differs between them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.db import get_session
from shop.extensions import current_queue
from shop.models import Order, OrderJob
from shop.orders.idempotency import (
    IdempotencyKey,
    StoredResponse,
    claim_key,
    find_key,
    fingerprint,
    is_valid_key,
    store_response,
    stored_response,
)
from shop.orders.outbox import dispatch_jobs, record_order_jobs
from shop.orders.request_timing import arrived_at, stamp_answer, stamp_answer_later
from shop.orders.services import place_order
from shop.orders.validation import OrderRequest
from shop.web.errors import error_response

logger = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
KEY_FIELD = "idempotency_key"  # the checkout form's hidden input: browsers cannot set headers


@dataclass(frozen=True)
class Checkout:
    """What differs between the ways to place an order."""

    name: str  # keeps the keys of one checkout from replaying another's requests
    answer_json: bool  # 201 with the order's id and jobs; else 303 to the order's page
    queue_jobs: bool = True  # False: the caller runs the jobs itself, then answers


JSON_CHECKOUT = Checkout("json", answer_json=True)
FORM_CHECKOUT = Checkout("form", answer_json=False)


@dataclass(frozen=True)
class Placed:
    """What to answer, and the new order's id (None: refused, or an earlier answer replayed)."""

    response: ResponseReturnValue
    order_id: int | None = None


def place_once(
    order_request: OrderRequest, request_data: Any, key: str | None, checkout: Checkout
) -> Placed:
    """Place the order and push its jobs, unless key was used: then answer as the first time.

    request_data is the request as sent: a repeat with the same key must match it exactly.
    """
    if key is not None and not is_valid_key(key):
        message = "must be 1 to 255 printable ASCII characters"
        return Placed(error_response(400, KEY_HEADER, message))
    session = get_session()
    claimed = None
    if key is not None:  # most orders come without a key: no fingerprint to take for them
        request_fingerprint = fingerprint({checkout.name: request_data})
        claimed, stored = claim(session, key, request_fingerprint)
        if claimed is None:
            return Placed(replay(stored, request_fingerprint))
    order = place_order(session, order_request.email, order_request.lines, arrived_at())
    if checkout.queue_jobs:  # else the caller runs the jobs, then stamps its own answer
        stamp_answer_later(order)
    jobs = record_order_jobs(session, order) if checkout.queue_jobs else []
    response = answer(order, jobs, checkout)
    if claimed is not None:
        store_response(claimed, response)
    # Order, jobs and key in one commit; the jobs are pushed only once it succeeded.
    session.commit()
    pushed = dispatch_jobs(current_queue(), jobs)
    stamp_answer()
    session.commit()  # which jobs went, and when the answer did: the request's last write
    logger.info("order placed: %s; %d of %d jobs pushed", response.location, pushed, len(jobs))
    return Placed(to_response(response), order.id)


def claim(
    session: Session, key: str, request_fingerprint: str
) -> tuple[IdempotencyKey | None, IdempotencyKey | None]:
    """Claim key for this request, or return (None, the key stored by an earlier one)."""
    stored = find_key(session, key, current_app.config["SHOP_IDEMPOTENCY_TTL"])
    if stored is not None:
        return None, stored
    try:
        return claim_key(session, key, request_fingerprint), None
    except IntegrityError:  # a concurrent request with this key committed first
        session.rollback()
        return None, find_key(session, key, current_app.config["SHOP_IDEMPOTENCY_TTL"])


def answer(order: Order, jobs: list[OrderJob], checkout: Checkout) -> StoredResponse:
    """Say what the checkout answers for a new order, to send now and to replay later."""
    location = url_for("web.show_order", order_id=order.id)
    if not checkout.answer_json:
        return StoredResponse(303, None, location)
    body = {
        "order_id": order.id,
        "public_id": order.public_id,
        "status": order.status,
        "jobs": [{"id": job.job_id, "type": job.type, "queue": job.queue} for job in jobs],
    }
    return StoredResponse(201, body, location)


def replay(stored: IdempotencyKey | None, request_fingerprint: str) -> ResponseReturnValue:
    """Answer a repeated key: the first response, or 422/409 saying why not."""
    if stored is None or (response := stored_response(stored)) is None:
        return error_response(
            409, KEY_HEADER, "a request with this key is in progress; retry in a moment"
        )
    if stored.fingerprint != request_fingerprint:
        return error_response(
            422, KEY_HEADER,
            "was already used with a different request; use a new key for a new order",
        )
    return to_response(response, replayed=True)


def to_response(response: StoredResponse, replayed: bool = False) -> ResponseReturnValue:
    """Turn a stored response into Flask's (body, status, headers)."""
    headers = {"Location": response.location}
    if replayed:
        headers["Idempotent-Replayed"] = "true"  # as Stripe marks a replayed response
    return (response.body if response.body is not None else ""), response.status, headers
