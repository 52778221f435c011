"""Fixtures every test tier shares: a real Redis, a key prefix and a database of the test's own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis as redis_py
from redis.cluster import RedisCluster

import jobs
from bench.postgres import NoPostgres, postgres_schema
from devtools.embedded_redis import start_embedded_redis
from devtools.redis_cluster import RedisClusterGroup, start_redis_cluster


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


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterGroup]:
    """A Redis Cluster of three masters on this machine, started only for the sessions
    whose tests ask for it, with the same redis-server as the embedded one."""
    with start_redis_cluster(Path(tmp_path_factory.mktemp("redis-cluster"))) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def redis_cluster_url(redis_cluster: RedisClusterGroup) -> str:
    """The URL of one node of the session's Redis Cluster (db 0, a cluster's only one)."""
    return redis_cluster.url


@pytest.fixture
def cluster(redis_cluster_url: str, prefix: str) -> Iterator[RedisCluster]:
    """The queue's cluster client; every key under this test's prefix is deleted afterwards."""
    client = jobs.connect_cluster(redis_cluster_url)
    try:
        yield client
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for key in keys:  # one by one: a DEL of several keys must name keys of one slot
            client.delete(key)
        client.close()


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


POSTGRES_URL = os.environ.get(
    "SHOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_schema_url(base_url: str) -> Iterator[str]:
    """Create a schema of the test's own and yield a URL whose search_path is it; drop it after."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_schema(base_url, prefix="test"))
        except NoPostgres as error:
            if os.environ.get("CI"):  # CI must test PostgreSQL, not skip it quietly
                pytest.fail(str(error))
            pytest.skip(str(error))
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own: a SQLite file, or a fresh PostgreSQL schema.

    Every test using it runs on both. PostgreSQL is the machine's (SHOP_TEST_POSTGRES_URL);
    where none answers the PostgreSQL half is skipped, except under CI, where it fails.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        yield from postgres_schema_url(POSTGRES_URL)
