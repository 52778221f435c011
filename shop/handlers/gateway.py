"""A simulated payment gateway: slow, failing as often as it is told to, charging once per key."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from shop.columns import Base, UtcDateTime, utc_now

logger = logging.getLogger(__name__)


class PaymentDeclined(RuntimeError):
    """The gateway refused a charge; raised out of the handler so the queue retries the job."""


class IdempotencyKeyReused(ValueError):
    """A charge reused an idempotency key with another amount: a bug, never a retry."""


class GatewayCharge(Base):
    """The simulated gateway's own ledger (a real one keeps it on its side): one row per key."""

    __tablename__ = "gateway_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int]
    reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


@dataclass(frozen=True)
class PaymentSettings:
    """How slow the simulated gateway is and how often it declines."""

    latency_seconds: float
    failure_rate: float

    def __post_init__(self) -> None:
        """Refuse settings no gateway could have."""
        if not 0.0 <= self.latency_seconds <= 3600:
            raise ValueError(f"latency must be 0 to 3600 seconds, got {self.latency_seconds}")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"failure rate must be between 0 and 1, got {self.failure_rate}")


@dataclass
class SimulatedGateway:
    """Stands in for a payment provider: waits latency_seconds, then fails with failure_rate odds.

    Like a real gateway it remembers idempotency keys: a second charge with a key it has
    charged returns the first charge's reference and charges nothing. A declined attempt is
    not remembered, so a retry may succeed (the simulated declines stand for passing errors).
    Pass rng=random.Random(seed) to make its failures and references repeatable, and
    live_settings to read latency and failure rate afresh for every charge (the demo's
    controls change them while the workers run).
    """

    sessions: sessionmaker[Session]
    latency_seconds: float = 1.5
    failure_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    live_settings: Callable[[], PaymentSettings] | None = None

    def __post_init__(self) -> None:
        """Refuse settings no gateway could have."""
        PaymentSettings(self.latency_seconds, self.failure_rate)

    def settings(self) -> PaymentSettings:
        """Return the settings for the next charge: the live ones, else the fixed ones."""
        if self.live_settings is not None:
            return self.live_settings()
        return PaymentSettings(self.latency_seconds, self.failure_rate)

    def charge(self, amount_cents: int, idempotency_key: str) -> str:
        """Charge amount_cents once per key and return the reference, or raise PaymentDeclined."""
        known = self.find(idempotency_key)
        if known is not None:
            return self.replay(known, amount_cents)
        settings = self.settings()
        time.sleep(settings.latency_seconds)
        if self.rng.random() < settings.failure_rate:
            raise PaymentDeclined(
                f"payment gateway declined {idempotency_key} ({amount_cents} cents): "
                "simulated failure"
            )
        reference = f"sim_{self.rng.getrandbits(64):016x}"
        try:
            with self.sessions.begin() as session:
                session.add(GatewayCharge(
                    idempotency_key=idempotency_key, amount_cents=amount_cents, reference=reference
                ))
        except IntegrityError:
            # The key is UNIQUE: a concurrent charge with this key was recorded first, and
            # recording is what charging means here, so that one is the only charge.
            known = self.find(idempotency_key)
            if known is None:
                raise
            return self.replay(known, amount_cents)
        logger.info("charged %s cents for %s: %s", amount_cents, idempotency_key, reference)
        return reference

    def find(self, idempotency_key: str) -> GatewayCharge | None:
        """Return the charge made with idempotency_key, if any."""
        with self.sessions() as session:
            query = select(GatewayCharge).where(GatewayCharge.idempotency_key == idempotency_key)
            return session.scalars(query).one_or_none()

    def replay(self, charge: GatewayCharge, amount_cents: int) -> str:
        """Return an earlier charge's reference, as a real gateway answers a repeated request."""
        if charge.amount_cents != amount_cents:
            raise IdempotencyKeyReused(
                f"idempotency key {charge.idempotency_key} charged {charge.amount_cents} cents, "
                f"not {amount_cents}"
            )
        logger.info("%s was charged already: %s", charge.idempotency_key, charge.reference)
        return charge.reference
