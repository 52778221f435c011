"""Idempotency keys: a retried POST /orders with the same key answers as the first one did.

As in Stripe's API: the client sends a key of its own choosing; the first request with it
stores its response in the same transaction as the order; a repeat with the same body gets
that response back and creates nothing; a repeat with another body is refused. A key
expires after SHOP_IDEMPOTENCY_TTL seconds and can then place a new order.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shop.columns import Base, UtcDateTime, utc_now

MAX_KEY_LENGTH = 255
KEY_PATTERN = re.compile(rf"[!-~]{{1,{MAX_KEY_LENGTH}}}")  # printable ASCII, no spaces


class IdempotencyKey(Base):
    """A key a client sent, the fingerprint of its request and the response it got."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # NULL only inside the transaction that claims the key; it commits them filled in.
    response_status: Mapped[int | None]
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_location: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)


@dataclass(frozen=True)
class StoredResponse:
    """What POST /orders answered: status, JSON body (None for a redirect), Location."""

    status: int
    body: dict[str, Any] | None
    location: str


def is_valid_key(key: str) -> bool:
    """Return True if key is 1 to 255 printable ASCII characters without spaces."""
    return KEY_PATTERN.fullmatch(key) is not None


def fingerprint(data: Any) -> str:
    """Return the sha256 of data as canonical JSON (sorted keys, no spaces), in hex."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_key(session: Session, key: str, ttl_seconds: float) -> IdempotencyKey | None:
    """Return the stored key, or None if there is none or it expired (then it is deleted)."""
    stored = session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == key)).one_or_none()
    cutoff = utc_now() - timedelta(seconds=ttl_seconds)
    if stored is None or stored.created_at >= cutoff:
        return stored
    # Conditional, so two requests deleting the same expired key both succeed.
    session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.key == key, IdempotencyKey.created_at < cutoff)
    )
    return None


def claim_key(session: Session, key: str, request_fingerprint: str) -> IdempotencyKey:
    """Insert the key now, before the order: a concurrent request with it waits, then fails.

    Raises IntegrityError when another transaction holds or has committed the key.
    """
    claimed = IdempotencyKey(key=key, fingerprint=request_fingerprint)
    session.add(claimed)
    session.flush()
    return claimed


def store_response(claimed: IdempotencyKey, response: StoredResponse) -> None:
    """Keep the response on the claimed key, to be committed with the order."""
    claimed.response_status = response.status
    claimed.response_body = response.body
    claimed.response_location = response.location


def stored_response(stored: IdempotencyKey) -> StoredResponse | None:
    """Return the response stored with a key, or None if it has none (not committed yet)."""
    if stored.response_status is None or stored.response_location is None:
        return None
    return StoredResponse(stored.response_status, stored.response_body, stored.response_location)
