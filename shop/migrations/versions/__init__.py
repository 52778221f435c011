"""One module per schema change, oldest first (Alembic orders them by down_revision)."""
