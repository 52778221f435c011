"""The results: one row per system, with medians over the rounds and ratios round by round."""

from __future__ import annotations

from typing import Any

from bench.stats import median_ratio, median_tree
from bench.systems import PEERS

Rounds = dict[str, list[dict[str, Any]]]  # system name -> its result for each round


def drain_series(rounds: Rounds, name: str) -> list[float]:
    return [r["drain"]["jobs_per_second"] for r in rounds.get(name, [])]


def best_peer_series(rounds: Rounds) -> tuple[list[float], list[str]]:
    """Per round: the drain rate of the fastest at-least-once peer, and its name."""
    peers = [n for n in rounds if n in PEERS and rounds[n][0]["delivery"] == "at-least-once"]
    best: list[float] = []
    names: list[str] = []
    for i in range(max((len(rounds[n]) for n in peers), default=0)):
        rate, name = max((rounds[n][i]["drain"]["jobs_per_second"], n)
                         for n in peers if len(rounds[n]) > i)
        best.append(rate)
        names.append(name)
    return best, names


def system_row(name: str, rounds: Rounds, best_peer: list[float]) -> dict[str, Any]:
    """The table's row for one system: medians over its rounds, ratios round by round."""
    m = median_tree(rounds[name])
    own = drain_series(rounds, name)
    return {
        "system": name, "label": m["label"], "delivery": m["delivery"],
        "drain_jobs_per_second": m["drain"]["jobs_per_second"],
        "enqueue_jobs_per_second": m["enqueue"]["jobs_per_second"],
        "pickup_p50_ms": m["pickup"]["p50_ms"], "pickup_p99_ms": m["pickup"]["p99_ms"],
        "rss_mb": m["drain"]["rss_mb"],
        "round_trips_per_job": m["drain"]["round_trips_per_job"],
        "commands_per_job": m["drain"]["commands_per_job"],
        "ratio_to_naive": median_ratio(own, drain_series(rounds, "naive")),
        "ratio_to_best_peer": median_ratio(own, best_peer),
        "rounds": len(rounds[name]),
        "drain_jobs_per_second_by_round": own,
        "enqueue_jobs_per_second_by_round": [r["enqueue"]["jobs_per_second"]
                                             for r in rounds[name]],
        "versions": m["versions"],
        "medians": m,
    }


def build_report(rounds: Rounds, skipped: dict[str, str], context: dict[str, Any]
                 ) -> dict[str, Any]:
    """Everything the JSON holds: context (date, machine, settings), rows, skips."""
    best_peer, best_names = best_peer_series(rounds)
    rows = {name: system_row(name, rounds, best_peer) for name in rounds}
    return {
        **context,
        "best_peer_by_round": best_names,
        "systems": list(rows.values()),
        "serving": rows["queue"]["medians"]["extras"].get("serving") if "queue" in rows else None,
        "skipped": skipped,
    }
