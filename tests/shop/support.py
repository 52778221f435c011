"""Helpers for the shop's tests: count rows, list Redis keys, run a real worker, post forms."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

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


def csrf_token(client: FlaskClient) -> str:
    """Return the CSRF token of the client's session, as the checkout page carries it."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert match, "the checkout page carries a CSRF token"
    return match.group(1)


def post_form(client: FlaskClient, path: str, form: dict[str, str]) -> TestResponse:
    """Post a form as a browser does: with the session's CSRF token."""
    return client.post(path, data=form | {"csrf_token": csrf_token(client)})


class Blocking:
    """A handler that runs until released: a job held in progress for as long as a test needs."""

    def __init__(self) -> None:
        self.running = threading.Event()
        self.release = threading.Event()

    def handle(self, payload: dict[str, Any]) -> None:
        """Say it is running, then wait to be released (10 s at most)."""
        self.running.set()
        self.release.wait(10)


@contextmanager
def job_in_progress(
    redis: redis_py.Redis, prefix: str, queue: str, handler: str
) -> Iterator[Worker]:
    """Run a real worker in a thread on queue until it is running a job of handler; stop after."""
    blocking = Blocking()
    worker = Worker(redis, {handler: blocking}, prefix=prefix)
    with ThreadPoolExecutor(max_workers=1) as pool:
        finished = pool.submit(worker.run, queue)
        try:
            assert blocking.running.wait(10), "the worker took the job"
            yield worker
        finally:
            worker.stop()
            blocking.release.set()
            finished.result(timeout=10)
