"""Placing an order once per Idempotency-Key: claim the key, place, commit, push; or replay."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.db import get_session
from shop.errors import error_response
from shop.extensions import current_queue
from shop.idempotency import (
    IdempotencyKey,
    StoredResponse,
    claim_key,
    find_key,
    fingerprint,
    is_valid_key,
    store_response,
    stored_response,
)
from shop.models import OrderJob
from shop.outbox import dispatch_jobs
from shop.request_timing import stamp_answer

logger = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
KEY_FIELD = "idempotency_key"  # the checkout form's hidden input: browsers cannot set headers

# Places an order in the session, adds its jobs, and says what to answer.
Placer = Callable[[Session], tuple[StoredResponse, list[OrderJob]]]


def place_once(key: str | None, request_data: Any, place: Placer) -> ResponseReturnValue:
    """Place the order and push its jobs, unless key was used: then answer as the first time."""
    if key is not None and not is_valid_key(key):
        return error_response(400, KEY_HEADER, "must be 1 to 255 printable ASCII characters")
    session = get_session()
    request_fingerprint = fingerprint(request_data)
    claimed = None
    if key is not None:
        ttl_seconds = current_app.config["SHOP_IDEMPOTENCY_TTL"]
        stored = find_key(session, key, ttl_seconds)
        if stored is None:
            try:
                claimed = claim_key(session, key, request_fingerprint)
            except IntegrityError:  # a concurrent request with this key committed first
                session.rollback()
                stored = find_key(session, key, ttl_seconds)
        if claimed is None:
            return replay(stored, request_fingerprint)
    response, jobs = place(session)
    if claimed is not None:
        store_response(claimed, response)
    # Order, jobs and key in one commit; the jobs are pushed only once it succeeded.
    session.commit()
    pushed = dispatch_jobs(current_queue(), jobs)
    stamp_answer()
    session.commit()  # which jobs went, and when the answer did: the request's last write
    logger.info("order placed: %s; %d of %d jobs pushed", response.location, pushed, len(jobs))
    return to_response(response)


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
