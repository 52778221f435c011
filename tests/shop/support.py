"""Helpers for the shop's tests: count rows, read Redis, run a real worker, post forms."""

from __future__ import annotations

import json
import re
from typing import Any

import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from jobs import Keys, Worker
from shop.db import Database
from shop.handlers.registry import build_handlers
from shop.models import Order
from shop.orders.services import SHOP_QUEUES


def count_orders(database: Database) -> int:
    """Return how many orders the database holds."""
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(Order)) or 0


def queue_keys(redis: redis_py.Redis, prefix: str) -> list[str]:
    """Return every Redis key under the test's prefix."""
    return sorted(redis.scan_iter(match=f"{prefix}*"))


def queued_job_ids(redis: redis_py.Redis, prefix: str) -> dict[str, list[str]]:
    """Return the ids of the jobs waiting on each of the shop's queues, oldest first."""
    keys = Keys(prefix)
    return {
        queue: [json.loads(raw)["id"] for raw in redis.lrange(keys.queue(queue), 0, -1)]
        for queue in SHOP_QUEUES
    }


def order_jobs_waiting(public_id: str) -> dict[str, list[str]]:
    """Return queued_job_ids once the order's three jobs, and nothing else, wait on their queues."""
    return {
        "payments": [f"order-{public_id}-process_payment"],
        "emails": [f"order-{public_id}-order_confirmation"],
        "reports": [f"order-{public_id}-generate_report"],
    }


def public_id_of(database: Database, order_id: int) -> str:
    """Return the public id of the order with this id."""
    with database.sessions() as session:
        return session.get_one(Order, order_id).public_id


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


def csrf_token(client: FlaskClient) -> str:
    """Return the CSRF token of the client's session, as the checkout page carries it."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert match, "the checkout page carries a CSRF token"
    return match.group(1)


def post_form(client: FlaskClient, path: str, form: dict[str, str]) -> TestResponse:
    """Post a form as a browser does: with the session's CSRF token."""
    return client.post(path, data=form | {"csrf_token": csrf_token(client)})
