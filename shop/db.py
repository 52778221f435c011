"""The database: engine and sessions in app.extensions["db"], a session per request, init-db."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from shop.models import Base, Product

logger = logging.getLogger(__name__)

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


def create_database(url: str) -> Database:
    """Build the engine and a session factory for url."""
    engine = create_engine(url)
    # Views and handlers read an order after committing it; no need to reload every column.
    return Database(engine, sessionmaker(engine, expire_on_commit=False))


def init_db(database: Database) -> None:
    """Create missing tables and upsert the seed products, so running it twice is harmless."""
    Base.metadata.create_all(database.engine)
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
    """Create the tables and seed the products."""
    init_db(current_database())
    click.echo("Initialized the database.")


def init_app(app: Flask) -> None:
    """Give app its Database, a per-request session and the init-db command."""
    app.extensions["db"] = create_database(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)
    app.cli.add_command(init_db_command)
