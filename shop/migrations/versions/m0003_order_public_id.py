"""Orders get a public id that is never reused, for their job ids and payment key.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add orders.public_id, give every existing order a random one, then require it."""
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("public_id", sa.String(length=32), nullable=True))
    orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("public_id", sa.String))
    connection = op.get_bind()
    for (order_id,) in connection.execute(sa.select(orders.c.id)).all():
        connection.execute(
            orders.update().where(orders.c.id == order_id)
            .values(public_id=secrets.token_hex(8))
        )
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("public_id", existing_type=sa.String(length=32), nullable=False)
        batch.create_unique_constraint(op.f("uq_orders_public_id"), ["public_id"])


def downgrade() -> None:
    """Drop orders.public_id."""
    with op.batch_alter_table("orders") as batch:
        batch.drop_constraint(op.f("uq_orders_public_id"), type_="unique")
        batch.drop_column("public_id")
