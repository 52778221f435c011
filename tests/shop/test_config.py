"""Configuration: defaults, environment overrides, test config, shared objects."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis as redis_py
from flask import Flask
from redis.cluster import RedisCluster

import shop
from jobs import JobQueue
from shop import create_app
from shop.db import Database
from shop.web.secret_key import MissingSecretKey


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No shop variables in the environment; the app's instance folder under tmp_path."""
    for name in ("DATABASE_URL", "REDIS_URL", "REDIS_CLUSTER", "REDIS_SENTINELS", "JOBS_PREFIX",
                 "SHOP_SMTP_HOST", "SHOP_OUTBOX_DIR", "SHOP_PAYMENT_LATENCY", "JOBS_MAX_ATTEMPTS",
                 "MAX_CONTENT_LENGTH", "SHOP_DEMO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHOP_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    return tmp_path


def build(test_config: dict[str, object] | None = None) -> Flask:
    app = create_app(test_config)
    app.extensions["redis"].close()
    app.extensions["db"].engine.dispose()
    return app


def test_importing_the_package_builds_nothing() -> None:
    assert [name for name in vars(shop) if name in ("app", "redis_client", "engine")] == []


def test_defaults(clean_environment: Path) -> None:
    app = build()

    assert app.instance_path == str(clean_environment / "instance")
    assert app.config["DATABASE_URL"] == f"sqlite:///{clean_environment / 'instance' / 'shop.db'}"
    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert app.config["JOBS_PREFIX"] == "queue:"
    assert app.config["JOBS_MAX_ATTEMPTS"] == 3
    assert app.config["JOBS_RETRY_BASE"] == 60.0
    assert app.config["SHOP_SMTP_HOST"] is None
    assert app.config["SHOP_OUTBOX_DIR"] == str(Path(app.instance_path) / "outbox")
    assert app.config["SHOP_PAYMENT_LATENCY"] == 1.5
    assert app.config["SHOP_PAYMENT_FAILURE_RATE"] == 0.0
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024
    assert app.config["SHOP_DEMO"] is False
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_outside_demo_mode_the_app_refuses_to_start_without_a_secret_key(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY")

    with pytest.raises(MissingSecretKey, match=r"SECRET_KEY is not set.*SHOP_DEMO=1"):
        create_app()


def test_in_demo_mode_without_a_secret_key_one_is_kept_in_the_instance_folder(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.setenv("SHOP_DEMO", "1")

    app = build()

    assert app.config["SHOP_DEMO"] is True
    key_file = clean_environment / "instance" / "secret_key"
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert build().config["SECRET_KEY"] == app.config["SECRET_KEY"]  # every process: one key


def test_the_environment_overrides_defaults_with_parsed_values(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBS_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("SHOP_PAYMENT_LATENCY", "0.25")
    monkeypatch.setenv("JOBS_PREFIX", "shop:")
    monkeypatch.setenv("SHOP_SMTP_HOST", "")  # empty means unset

    app = build()

    assert app.config["JOBS_MAX_ATTEMPTS"] == 5
    assert app.config["SHOP_PAYMENT_LATENCY"] == 0.25
    assert app.config["JOBS_PREFIX"] == "shop:"
    assert app.config["SHOP_SMTP_HOST"] is None


def test_test_config_overrides_the_environment(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBS_PREFIX", "from-env:")

    app = build({"JOBS_PREFIX": "from-test:", "TESTING": True})

    assert app.config["JOBS_PREFIX"] == "from-test:"
    assert app.testing


def test_test_config_can_move_the_instance_folder(clean_environment: Path) -> None:
    app = build({"INSTANCE_PATH": str(clean_environment / "elsewhere")})

    assert app.instance_path == str(clean_environment / "elsewhere")
    assert app.config["SHOP_OUTBOX_DIR"] == str(clean_environment / "elsewhere" / "outbox")


def test_shared_objects_live_in_app_extensions(clean_environment: Path) -> None:
    app = build({"JOBS_PREFIX": "shop-test:"})

    assert isinstance(app.extensions["redis"], redis_py.Redis)
    assert isinstance(app.extensions["queue"], JobQueue)
    assert app.extensions["queue"].client.keys.prefix == "shop-test:"
    assert isinstance(app.extensions["db"], Database)


def test_only_the_dispatching_client_has_short_timeouts(clean_environment: Path) -> None:
    app = build({"REDIS_CONNECT_TIMEOUT": 0.5, "REDIS_SOCKET_TIMEOUT": 2.0})

    dispatching = app.extensions["app_redis"].connection_pool.connection_kwargs
    blocking = app.extensions["redis"].connection_pool.connection_kwargs
    assert (dispatching["socket_connect_timeout"], dispatching["socket_timeout"]) == (0.5, 2.0)
    # The worker's blocking pop waits up to 2 s: its client must not time out before
    assert blocking.get("socket_timeout") is None
    assert app.config["SHOP_IDEMPOTENCY_TTL"] == 24 * 60 * 60


def test_with_redis_cluster_set_each_client_is_a_cluster_client_named_by_role(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch, redis_cluster_url: str
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_cluster_url)
    monkeypatch.setenv("REDIS_CLUSTER", "1")

    app = create_app()

    assert app.config["REDIS_CLUSTER"] is True
    worker, web = app.extensions["redis"], app.extensions["app_redis"]
    assert isinstance(worker, RedisCluster) and isinstance(web, RedisCluster)
    assert web.get_connection_kwargs()["socket_timeout"] == app.config["REDIS_SOCKET_TIMEOUT"]
    assert web.client_getname() == "queue:app"
    assert worker.client_getname() == "queue:worker"
    worker.close()
    web.close()
    app.extensions["db"].engine.dispose()


def test_redis_cluster_with_sentinels_is_refused_saying_why(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_CLUSTER", "1")
    monkeypatch.setenv("REDIS_SENTINELS", "127.0.0.1:26379")
    monkeypatch.setenv("REDIS_SENTINEL_MASTER", "shop")

    with pytest.raises(ValueError, match="REDIS_CLUSTER and REDIS_SENTINELS are both set"):
        create_app()


def test_redis_cluster_with_wait_replicas_is_refused_saying_why(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_CLUSTER", "1")
    monkeypatch.setenv("JOBS_WAIT_REPLICAS", "1")

    with pytest.raises(ValueError, match="JOBS_WAIT_REPLICAS is not supported with REDIS_CLUSTER"):
        create_app()
