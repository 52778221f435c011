"""Jinja filters the templates use: money and UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from shop.money import format_cents


def format_utc(moment: datetime | float | None) -> str:
    """Format a datetime or unix seconds as "2025-01-31 14:05:09 UTC", or "-" when missing."""
    if moment is None:
        return "-"
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def init_app(app: Flask) -> None:
    """Register the filters on app."""
    app.add_template_filter(format_cents, "money")
    app.add_template_filter(format_utc, "utc")
