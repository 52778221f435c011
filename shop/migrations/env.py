"""Alembic's entry point: run the migrations on the app's database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from shop import models
from shop.handlers import gateway
from shop.orders import idempotency

# Every table is on models.Base: the models', and two kept beside the code that owns them.
TABLE_MODULES = (models, gateway, idempotency)


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on connection, inside its transaction."""
    context.configure(
        connection=connection,
        target_metadata=models.Base.metadata,
        render_as_batch=True,  # SQLite alters a table by copying it; batch mode does that
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Migrate the connection shop.db hands over, else the app's DATABASE_URL (the CLI)."""
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) mode is not supported: run against a database")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    from shop import create_app  # only here: building the app reads the environment

    engine = create_engine(create_app().config["DATABASE_URL"])
    try:
        with engine.begin() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


main()
