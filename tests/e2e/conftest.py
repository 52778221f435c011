"""Fixtures for end-to-end tests: the web app and workers as real processes, a real SMTP server."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from shop.embedded_redis import free_port
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
def shop(tmp_path: Path, redis_url: str, prefix: str, redis: Any) -> Iterator[Shop]:
    """A shop with its own instance folder and Redis prefix; its processes stopped after."""
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "REDIS_URL": redis_url,
        "JOBS_PREFIX": prefix,
        "SHOP_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": "",
        "JOBS_RETRY_BASE": "0.05",
        "SHOP_SMTP_HOST": "",
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
