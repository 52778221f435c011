"""Medians over rounds and per-round ratios, as the benchmark's report takes them."""

from __future__ import annotations

from bench.latency import percentiles
from bench.stats import median_ratio, median_tree


def test_median_tree_takes_each_number_s_median_and_keeps_labels() -> None:
    rounds = [
        {"label": "a", "drain": {"rate": 1.0}, "many": None},
        {"label": "a", "drain": {"rate": 5.0}, "many": None},
        {"label": "a", "drain": {"rate": 2.0}, "many": None},
    ]
    assert median_tree(rounds) == {"label": "a", "drain": {"rate": 2.0}, "many": None}


def test_median_ratio_pairs_rounds_in_order() -> None:
    assert median_ratio([2.0, 9.0, 4.0], [1.0, 3.0, 4.0]) == 2.0
    assert median_ratio([], []) is None


def test_percentiles_are_in_milliseconds() -> None:
    result = percentiles([i / 1000 for i in range(1, 101)])
    assert round(result["p50_ms"], 1) == 50.5
    assert result["samples"] == 100
