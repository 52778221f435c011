"""Formatting integer cents."""

from __future__ import annotations

import pytest

from shop.money import format_cents


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "$0.00"), (5, "$0.05"), (1450, "$14.50"), (123456789, "$1,234,567.89"), (-399, "-$3.99")],
)
def test_cents_are_formatted_as_a_price(cents: int, text: str) -> None:
    assert format_cents(cents) == text
