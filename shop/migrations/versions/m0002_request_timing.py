"""The order's request timing, and the runs of the synchronous checkout's handlers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add orders.request_started_at, responded_at (naive UTC) and inline_jobs (JSON)."""
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("request_started_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("responded_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("inline_jobs", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("inline_jobs")
        batch.drop_column("responded_at")
        batch.drop_column("request_started_at")
