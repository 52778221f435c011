"""Fixtures every test tier shares: a real Redis and a key prefix of the test's own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_py

import jobs
from shop.embedded_redis import start_embedded_redis


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when set (CI uses the machine's Redis), else an embedded redis-server."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = start_embedded_redis(Path(tmp_path_factory.mktemp("redis")))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test uses, so tests can share one Redis."""
    return f"test:{uuid.uuid4().hex[:12]}:queue:"


@pytest.fixture
def redis(redis_url: str, prefix: str) -> Iterator[redis_py.Redis]:
    """A client on the real Redis; every key under this test's prefix is deleted afterwards."""
    client = jobs.connect(redis_url)
    try:
        yield client
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()
