"""Jinja filters and globals the templates use: money, times, durations, demo mode.

The demo panel's global, load_demo_panel, is the demo's own (shop.demo).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from shop.config import is_demo
from shop.money import format_cents
from shop.web.timeline_axis import format_seconds, short_worker


def format_utc(moment: datetime | float | None) -> str:
    """Format a datetime or unix seconds as "2025-01-31 14:05:09 UTC", or "-" when missing."""
    if moment is None:
        return "-"
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def init_app(app: Flask) -> None:
    """Register the filters and globals on app."""
    app.add_template_filter(format_cents, "money")
    app.add_template_filter(format_utc, "utc")
    app.add_template_filter(format_seconds, "seconds")
    app.add_template_filter(short_worker, "worker")
    app.add_template_global(is_demo, "is_demo")
