"""Medians over rounds, and ratios taken round by round."""

from __future__ import annotations

import statistics
from typing import Any


def median_tree(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One dict like the rounds', each number the median of that number over the rounds.

    Values that are not numbers (labels, None) are taken from the first round.
    """
    merged: dict[str, Any] = {}
    for key, first in rounds[0].items():
        values = [r[key] for r in rounds if key in r]
        if isinstance(first, bool) or not isinstance(first, int | float | dict):
            merged[key] = first
        elif isinstance(first, dict):
            merged[key] = median_tree([v for v in values if isinstance(v, dict)])
        else:
            merged[key] = statistics.median(v for v in values if isinstance(v, int | float))
    return merged


def median_ratio(numerators: list[float], denominators: list[float]) -> float | None:
    """The median of the per-round ratios (the rounds paired in order); None if none."""
    ratios = [n / d for n, d in zip(numerators, denominators, strict=False) if d]
    return statistics.median(ratios) if ratios else None
