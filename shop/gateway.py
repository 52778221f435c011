"""A simulated payment gateway: slow, and failing as often as it is told to."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


class PaymentDeclined(RuntimeError):
    """The gateway refused a charge; raised out of the handler so the queue retries the job."""


@dataclass
class SimulatedGateway:
    """Stands in for a payment provider: waits latency_seconds, then fails with failure_rate odds.

    Pass rng=random.Random(seed) to make its failures and references repeatable.
    """

    latency_seconds: float = 1.5
    failure_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        """Refuse settings no gateway could have."""
        if self.latency_seconds < 0:
            raise ValueError(f"latency_seconds must be >= 0, got {self.latency_seconds}")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"failure_rate must be between 0 and 1, got {self.failure_rate}")

    def charge(self, amount_cents: int, idempotency_key: str) -> str:
        """Charge amount_cents and return the gateway's reference, or raise PaymentDeclined."""
        # A real gateway uses idempotency_key to charge a retried request only once.
        time.sleep(self.latency_seconds)
        if self.rng.random() < self.failure_rate:
            raise PaymentDeclined(
                f"payment gateway declined {idempotency_key} ({amount_cents} cents): "
                "simulated failure"
            )
        reference = f"sim_{self.rng.getrandbits(64):016x}"
        logger.info("charged %s cents for %s: %s", amount_cents, idempotency_key, reference)
        return reference
