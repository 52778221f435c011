"""Money is integer cents everywhere; this is where cents become text."""

from __future__ import annotations

CURRENCY_SYMBOL = "$"


def format_cents(cents: int) -> str:
    """Format cents as a price, e.g. 1450 -> "$14.50"."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}{CURRENCY_SYMBOL}{whole:,}.{fraction:02d}"
