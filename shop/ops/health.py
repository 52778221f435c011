"""GET /healthz: is the database up, is Redis up; 200, or 503 naming what is down."""

from __future__ import annotations

import logging

from flask import Blueprint
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from shop.db import current_database
from shop.extensions import current_redis

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


def redis_status() -> str:
    """Return "ok" if the queue's Redis answers PING (within its short timeouts), else "down"."""
    try:
        current_redis().ping()
    except RedisError as error:
        logger.warning("health check: Redis down: %s", error)
        return "down"
    return "ok"


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Answer 200 when both are up, else 503; the body names each one's status."""
    # Only "ok" or "down": the errors (hosts, ports) go to the log, not to whoever asks.
    statuses = {"database": database_status(), "redis": redis_status()}
    healthy = all(status == "ok" for status in statuses.values())
    return statuses, 200 if healthy else 503, {"Cache-Control": "no-store"}
