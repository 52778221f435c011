"""The Alembic migrations: they build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from shop.db import Database, UnmigratedDatabase, create_database, init_db, migration_config
from shop.handlers import gateway
from shop.models import Base
from shop.orders import idempotency

# Every table: the models' and the two kept beside the code that owns them.
TABLES = {
    "products", "orders", "order_items", "order_jobs", "payments", "reports",
    gateway.GatewayCharge.__tablename__, idempotency.IdempotencyKey.__tablename__,
}


def test_the_migrated_schema_is_the_one_the_models_describe(database: Database) -> None:
    # The app fixture made the schema with init_db, that is through the migrations
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())

    assert differences == []
    assert tables == TABLES | {"alembic_version"}


def test_the_migrations_go_down_to_nothing_and_up_again(database: Database) -> None:
    with database.engine.begin() as connection:
        command.downgrade(migration_config(connection), "base")
    with database.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == {"alembic_version"}

    init_db(database)

    with database.engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) == TABLES | {"alembic_version"}


def test_a_database_made_before_migrations_is_refused_with_what_to_do(database_url: str) -> None:
    engine = create_engine(database_url)
    Base.metadata.create_all(engine)  # as init-db did before the shop had migrations
    engine.dispose()
    database = create_database(database_url)

    try:
        with pytest.raises(UnmigratedDatabase, match="created before the shop had migrations"):
            init_db(database)
    finally:
        database.engine.dispose()
