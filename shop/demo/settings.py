"""The demo's payment settings, kept in Redis so the web app changes what the workers do.

`<prefix>demo:payment` is a hash with `latency_seconds` and `failure_rate`; the web app's
demo controls write it and, in demo mode, every charge reads it (shop.demo gives the reader
to shop.handlers.registry), so a change shows on the next payment, in every worker process,
without restarting any.
A queue name cannot contain ":", so the key never collides with `<prefix><queue>`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from redis.exceptions import RedisError

from jobs import Keys, RedisClient
from shop.handlers.gateway import PaymentSettings

logger = logging.getLogger(__name__)


def settings_key(prefix: str) -> str:
    """Return the key of the payment settings hash under prefix (in jobs/keys.py's table)."""
    return Keys(prefix).demo_payment


def read_payment_settings(
    redis: RedisClient, prefix: str, defaults: PaymentSettings
) -> PaymentSettings:
    """Return the settings in Redis, each missing one (or all, if Redis fails) from defaults."""
    try:
        stored: dict[str, str] = redis.hgetall(settings_key(prefix))  # type: ignore[assignment]
    except RedisError as error:  # a payment goes ahead on the configured settings
        logger.warning("payment settings unreadable, using the configured ones: %s", error)
        return defaults
    try:
        return PaymentSettings(
            float(stored.get("latency_seconds", defaults.latency_seconds)),
            float(stored.get("failure_rate", defaults.failure_rate)),
        )
    except ValueError as error:
        logger.warning("payment settings in Redis are invalid (%s), using defaults", error)
        return defaults


def write_payment_settings(redis: RedisClient, prefix: str, settings: PaymentSettings) -> None:
    """Store settings for every worker's next charge."""
    redis.hset(settings_key(prefix), mapping={
        "latency_seconds": repr(settings.latency_seconds),
        "failure_rate": repr(settings.failure_rate),
    })


def parse_payment_form(form: Mapping[str, str]) -> PaymentSettings:
    """Return the settings a demo form asks for (failure rate in percent), or raise ValueError."""
    try:
        latency = float(form.get("latency_seconds", ""))
        percent = float(form.get("failure_percent", ""))
    except ValueError:
        raise ValueError("latency and failure rate must be numbers") from None
    return PaymentSettings(latency, percent / 100)
