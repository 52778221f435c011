"""Jinja filters and globals the templates use: money, times, durations, the demo panel."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from shop.demo_mode import is_demo
from shop.demo_panel import load_demo_panel
from shop.money import format_cents
from shop.timeline_axis import format_seconds, short_worker


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
    app.add_template_filter(format_seconds, "seconds")
    app.add_template_filter(short_worker, "worker")
    # Functions, not values: a page reads the demo panel (Redis, the database) only if it
    # shows it.
    app.add_template_global(is_demo, "is_demo")
    app.add_template_global(load_demo_panel, "load_demo_panel")
