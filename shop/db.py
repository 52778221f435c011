"""The database: engine and sessions in app.extensions["db"], a session per request, init-db.

The schema is built and changed only by the Alembic migrations in shop/migrations/, which
init-db applies (so do the tests), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from shop.models import Product

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# (sku, name, price in cents): the catalogue `init-db` seeds.
SEED_PRODUCTS: tuple[tuple[str, str, int], ...] = (
    ("TEA-EARL-GREY", "Earl Grey tea, 100 g", 650),
    ("TEA-SENCHA", "Sencha green tea, 100 g", 890),
    ("MUG-ENAMEL", "Enamel mug", 1450),
    ("TEAPOT-IRON", "Cast-iron teapot", 5200),
    ("BISCUITS", "Shortbread biscuits", 399),
)


@dataclass(frozen=True)
class Database:
    """The engine and the session factory built from DATABASE_URL."""

    engine: Engine
    sessions: sessionmaker[Session]


# Every SQLite connection: the write-ahead log, so readers never wait for a writer nor a
# writer for readers, and one fsync per commit (of the log) instead of the rollback
# journal's several. synchronous stays FULL, not WAL's usual NORMAL: NORMAL may lose the
# last commits to a power loss, and SQLite would then give a lost order's id to the next
# one (its jobs are safe: their ids come from the order's public id, but a customer could
# be shown another's order under the old id). busy_timeout
# first: a writer, or the switch to WAL, waits up to 5 s for another's lock instead of
# failing with "database is locked".
SQLITE_PRAGMAS = ("busy_timeout=5000", "journal_mode=WAL", "synchronous=FULL")


def use_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Set SQLITE_PRAGMAS on a new connection (an SQLAlchemy connect event)."""
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def create_database(url: str) -> Database:
    """Build the engine and a session factory for url."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", use_sqlite_pragmas)
    # Views and handlers read an order after committing it; no need to reload every column.
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


class UnmigratedDatabase(RuntimeError):
    """The database has the shop's tables but no migration history: made before migrations."""


def migration_config(connection: Connection) -> Config:
    """Return the Alembic config that migrates connection (see shop/migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade_schema(engine: Engine) -> None:
    """Apply every migration the database has not had yet, in one transaction."""
    with engine.begin() as connection:
        tables = inspect(connection)
        if tables.has_table("orders") and not tables.has_table("alembic_version"):
            raise UnmigratedDatabase(
                f"{engine.url.render_as_string()} was created before the shop had migrations; "
                "move it away (e.g. delete instance/shop.db) and run init-db again"
            )
        command.upgrade(migration_config(connection), "head")


def init_db(database: Database) -> None:
    """Migrate the schema to the newest version and upsert the seed products; safe to repeat."""
    upgrade_schema(database.engine)
    with database.sessions.begin() as session:
        for sku, name, price_cents in SEED_PRODUCTS:
            session.merge(Product(sku=sku, name=name, price_cents=price_cents))
    logger.info("database ready with %d seed products", len(SEED_PRODUCTS))


def current_database() -> Database:
    """Return the current app's Database."""
    database: Database = current_app.extensions["db"]
    return database


def get_session() -> Session:
    """Return this request's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_database().sessions()
    session: Session = g.db_session
    return session


def close_session(exception: BaseException | None = None) -> None:
    """Close the request's session, rolling back whatever it did not commit."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Apply the schema's migrations and seed the products (safe to repeat)."""
    try:
        init_db(current_database())
    except UnmigratedDatabase as error:
        raise click.ClickException(str(error)) from None
    click.echo("Initialized the database.")


def init_app(app: Flask) -> None:
    """Give app its Database, a per-request session and the init-db command."""
    app.extensions["db"] = create_database(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)
    app.cli.add_command(init_db_command)
