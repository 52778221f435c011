"""Fixtures for end-to-end tests: the web app and workers as real processes, a real SMTP server,
recording workers for the fault tests and a Redis of a test's own."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

import jobs
from devtools.embedded_redis import free_port
from tests.e2e.fleet import Fleet, OwnRedis
from tests.e2e.support import Collector, Inbox, Shop


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    """An aiosmtpd server on a free port; yields its port and what it received."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(Collector(inbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def shop(
    tmp_path: Path, redis_url: str, prefix: str, redis: Any, database_url: str
) -> Iterator[Shop]:
    """A shop with its own instance folder, Redis prefix and database (SQLite, then PostgreSQL);
    its processes stopped after."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "REDIS_URL": redis_url,
        "JOBS_PREFIX": prefix,
        "SHOP_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "JOBS_RETRY_BASE": "0.05",
        "SHOP_SMTP_HOST": "",
        # Production mode, as deployed; a test of the demo sets SHOP_DEMO=1.
        "SHOP_DEMO": "0",
        "SECRET_KEY": "the-e2e-tests-secret",
    }
    shop = Shop(env, tmp_path)
    shop.run(sys.executable, "-m", "flask", "--app", "shop", "init-db")
    try:
        yield shop
    finally:
        for process in shop.processes:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture
def fleet(tmp_path: Path, redis_url: str, prefix: str, redis: Any) -> Iterator[Fleet]:
    """Recording workers on the suite's Redis, under the test's prefix; killed after the test."""
    fleet = Fleet(redis, redis_url, prefix, tmp_path)
    try:
        yield fleet
    finally:
        fleet.kill_all()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A redis-server of the test's own (AOF on), for tests that stop and restart Redis."""
    server = OwnRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_fleet(tmp_path: Path, own_redis: OwnRedis, prefix: str) -> Iterator[Fleet]:
    """Recording workers on the test's own Redis; killed before that Redis stops."""
    client = jobs.connect(own_redis.url)
    fleet = Fleet(client, own_redis.url, prefix, tmp_path)
    try:
        yield fleet
    finally:
        fleet.kill_all()
        client.close()
