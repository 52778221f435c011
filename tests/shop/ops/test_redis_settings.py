"""Redis settings that lose jobs: a warning at start, and /healthz lists them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_py
from flask import Flask

from devtools.embedded_redis import EmbeddedRedis, start_embedded_redis
from devtools.redis_cluster import RedisClusterGroup
from jobs import connect_cluster
from shop import create_app
from shop.ops.redis_settings import redis_risks


@pytest.fixture
def careless_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A redis-server of the test's own that evicts keys and keeps nothing on disk."""
    server = start_embedded_redis(tmp_path / "careless", durable=False)
    client = redis_py.Redis(port=server.port)
    client.config_set("maxmemory-policy", "allkeys-lru")
    client.close()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def careful_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A redis-server of the test's own set as the guarantees ask (AOF, fsync always)."""
    server = start_embedded_redis(tmp_path / "careful")
    try:
        yield server
    finally:
        server.stop()


def test_a_redis_set_as_the_guarantees_ask_has_no_risk(careful_redis: EmbeddedRedis) -> None:
    assert redis_risks(redis_py.Redis(port=careful_redis.port, decode_responses=True)) == []


def test_eviction_and_no_persistence_are_named_with_what_to_set(
    careless_redis: EmbeddedRedis,
) -> None:
    risks = redis_risks(redis_py.Redis(port=careless_redis.port, decode_responses=True))

    assert len(risks) == 2
    assert risks[0].startswith("maxmemory-policy is allkeys-lru") and "noeviction" in risks[0]
    assert "no persistence at all" in risks[1] and "appendonly yes" in risks[1]


def test_the_app_warns_at_start_and_healthz_reports_them(
    app: Flask, careless_redis: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    # When the app starts on a Redis that may lose jobs
    with caplog.at_level(logging.WARNING, logger="shop.ops.redis_settings"):
        careless = create_app(app.config | {"REDIS_URL": careless_redis.url})

    # Then it warns, once per risk
    warnings = [r.getMessage() for r in caplog.records if r.name == "shop.ops.redis_settings"]
    assert len(warnings) == 2 and all(w.startswith("Redis may lose jobs:") for w in warnings)
    # And /healthz stays 200 (Redis is up) and lists the risks
    response = careless.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["redis"] == "ok" and len(response.json["redis_risks"]) == 2
    careless.extensions["redis"].close()
    careless.extensions["app_redis"].close()
    careless.extensions["db"].engine.dispose()


def test_on_a_cluster_each_node_is_checked_and_named(redis_cluster: RedisClusterGroup) -> None:
    # Given a cluster whose nodes keep nothing on disk
    client = connect_cluster(redis_cluster.url)

    risks = redis_risks(client)

    # Then each node's risk is named with the node
    assert sorted(risk.split(": ")[0] for risk in risks) == sorted(
        f"127.0.0.1:{port}" for port in redis_cluster.ports
    )
    assert all("no persistence at all" in risk for risk in risks)
    client.close()
