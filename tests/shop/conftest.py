"""Fixtures for the shop's tests: an app on SQLite or PostgreSQL (tests/conftest.py's
database_url) with its own Redis prefix, the schema made by the migrations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from shop import create_app
from shop.db import Database, init_db


@pytest.fixture
def app(
    database_url: str, redis_url: str, prefix: str, redis: redis_py.Redis, tmp_path: Path
) -> Iterator[Flask]:
    """The shop on the test's database and Redis prefix, migrated and seeded by init-db's code."""
    app = create_app({
        "TESTING": True,
        # The demo's routes are tested here; production mode by create_app(app.config | ...).
        "SHOP_DEMO": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JOBS_PREFIX": prefix,
        "JOBS_RETRY_BASE": 0.01,
        "SHOP_SMTP_HOST": None,
        "SHOP_PAYMENT_LATENCY": 0.0,
        "SHOP_PAYMENT_FAILURE_RATE": 0.0,
        "SHOP_PAYMENT_SEED": 1234,
    })
    init_db(app.extensions["db"])
    try:
        yield app
    finally:
        app.extensions["redis"].close()
        app.extensions["app_redis"].close()
        app.extensions["db"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A runner for the app's CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def database(app: Flask) -> Database:
    """The app's engine and session factory."""
    database: Database = app.extensions["db"]
    return database


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session on the app's database, closed after the test."""
    with database.sessions() as session:
        yield session
