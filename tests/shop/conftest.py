"""Fixtures for the shop's tests: an app on SQLite or PostgreSQL with its own Redis prefix."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateSchema, DropSchema

from shop import create_app
from shop.db import Database, init_db

POSTGRES_URL = os.environ.get(
    "SHOP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_schema_url(base_url: str) -> Iterator[str]:
    """Create a schema of the test's own and yield a URL whose search_path is it; drop it after."""
    try:
        engine = create_engine(base_url)
        with engine.connect():
            pass
    except (ImportError, OperationalError) as error:
        pytest.skip(f"PostgreSQL not available at {base_url}: {error}")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with engine.begin() as connection:
        connection.execute(CreateSchema(schema))
    try:
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as connection:
            connection.execute(DropSchema(schema, cascade=True))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        yield from postgres_schema_url(POSTGRES_URL)


@pytest.fixture
def app(
    database_url: str, redis_url: str, prefix: str, redis: redis_py.Redis, tmp_path: Path
) -> Iterator[Flask]:
    """The shop on the test's database and Redis prefix, schema created and products seeded."""
    app = create_app({
        "TESTING": True,
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
