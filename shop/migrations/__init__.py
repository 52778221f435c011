"""The schema's Alembic migrations; shop.db.upgrade_schema applies them."""
