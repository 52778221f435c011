"""GET /healthz: is the database up, is Redis up; 200, or 503 naming what is down. It also
lists the Redis settings that may lose jobs (shop.ops.redis_settings): a risk, not an outage."""

from __future__ import annotations

import logging

from flask import Blueprint
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from shop.db import current_database
from shop.extensions import current_redis
from shop.ops.redis_settings import redis_risks

logger = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


def database_status() -> str:
    """Return "ok" if the database answers a query, else "down"."""
    try:
        with current_database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        logger.warning("health check: database down: %s", error)
        return "down"
    return "ok"


def redis_status() -> tuple[str, list[str]]:
    """Return "ok" and the risky settings if the queue's Redis answers (within its short
    timeouts), else "down" and no settings."""
    try:
        return "ok", redis_risks(current_redis())
    except RedisError as error:
        logger.warning("health check: Redis down: %s", error)
        return "down", []


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Answer 200 when both are up, else 503; the body names each one's status and the
    Redis settings that may lose jobs."""
    # Only "ok" or "down": the errors (hosts, ports) go to the log, not to whoever asks.
    redis, risks = redis_status()
    statuses = {"database": database_status(), "redis": redis}
    healthy = all(status == "ok" for status in statuses.values())
    body = {**statuses, "redis_risks": risks}
    return body, 200 if healthy else 503, {"Cache-Control": "no-store"}
