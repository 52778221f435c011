"""A PostgreSQL schema of one's own, dropped afterwards, so the database stays as it was.

The load runs in one (SHOP_BENCH_POSTGRES_URL names the server; by default the tests' own
SHOP_TEST_POSTGRES_URL default), and so does every database test (tests/conftest.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateSchema, DropSchema

POSTGRES_URL = os.environ.get(
    "SHOP_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class NoPostgres(RuntimeError):
    """No PostgreSQL answered at POSTGRES_URL, or its driver is not installed."""


@contextmanager
def postgres_schema(base_url: str = POSTGRES_URL, prefix: str = "bench") -> Iterator[str]:
    """Create a schema <prefix>_<random>, yield a URL whose search_path is it, drop it after."""
    try:
        engine = create_engine(base_url)
        with engine.connect():
            pass
    except (ImportError, SQLAlchemyError) as error:
        raise NoPostgres(f"no PostgreSQL at {base_url}: {type(error).__name__}") from None
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with engine.begin() as connection:
        connection.execute(CreateSchema(schema))
    try:
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as connection:
            connection.execute(DropSchema(schema, cascade=True))
        engine.dispose()
