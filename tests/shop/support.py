"""Helpers for the shop's tests: count rows, list Redis keys, run a real worker."""

from __future__ import annotations

from typing import Any

import redis as redis_py
from flask import Flask
from sqlalchemy import func, select

from jobs import Worker
from shop.db import Database
from shop.handlers import build_handlers
from shop.models import Order
from shop.orders import SHOP_QUEUES


def count_orders(database: Database) -> int:
    """Return how many orders the database holds."""
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(Order)) or 0


def queue_keys(redis: redis_py.Redis, prefix: str) -> list[str]:
    """Return every Redis key under the test's prefix."""
    return sorted(redis.scan_iter(match=f"{prefix}*"))


def run_worker(app: Flask, **options: Any) -> dict[str, int]:
    """Run a real worker in burst mode over the shop's queues until they are empty."""
    worker = Worker(
        app.extensions["redis"],
        handlers=build_handlers(app),
        retry_base=app.config["JOBS_RETRY_BASE"],
        prefix=app.config["JOBS_PREFIX"],
        **options,
    )
    return worker.run(SHOP_QUEUES, burst=True)
