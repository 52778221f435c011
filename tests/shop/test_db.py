"""The database: init-db and the per-request session."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.db import SEED_PRODUCTS, Database, create_database, get_session
from shop.models import Product


def test_init_db_seeds_the_products_once_however_often_it_runs(
    runner: FlaskCliRunner, session: Session
) -> None:
    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Initialized the database." in second.output
    assert session.scalar(select(func.count()).select_from(Product)) == len(SEED_PRODUCTS)
    prices = dict(session.execute(select(Product.sku, Product.price_cents)).all())
    assert prices == {sku: price_cents for sku, _, price_cents in SEED_PRODUCTS}


def test_seed_prices_are_integer_cents() -> None:
    assert all(isinstance(price, int) and price > 0 for _, _, price in SEED_PRODUCTS)


def test_a_request_has_one_session_closed_at_teardown(app: Flask, database: Database) -> None:
    with app.test_request_context():
        session = get_session()
        assert get_session() is session
        session.scalar(select(func.count()).select_from(Product))
        assert session.in_transaction()

    assert not session.in_transaction()


def test_sqlite_connections_use_the_write_ahead_log_and_fsync_each_commit(
    tmp_path: Path,
) -> None:
    database = create_database(f"sqlite:///{tmp_path / 'shop.db'}")

    with database.engine.connect() as connection:
        journal_mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    database.engine.dispose()

    assert (journal_mode, synchronous, busy_timeout) == ("wal", 2, 5000)  # 2 is FULL
