"""The results: one row per system, the queue's targets from issue 6, as JSON and Markdown."""

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


def queue_targets(rows: dict[str, dict[str, Any]], rounds: Rounds) -> list[dict[str, Any]]:
    """Issue 6's targets for the project's queue, each with what was measured."""
    queue = rows["queue"]
    extras = queue["medians"]["extras"]
    bulk = extras.get("dispatch_many")
    workers = [[r["extras"]["workers"][n]["jobs_per_second"] for r in rounds["queue"]]
               for n in ("4", "2")]
    dispatch = [r["extras"]["dispatch_vs_rpush"]["ratio"] for r in rounds["queue"]]
    rss_flat = extras["rss_with_delayed_waiting_mb"] - extras["rss_idle_mb"]
    return [
        _target("drain vs the naive loop", ">= 1.0 x", queue["ratio_to_naive"], 1.0),
        _target("drain vs the best at-least-once peer", ">= 2.0 x",
                queue["ratio_to_best_peer"], 2.0),
        _target("dispatch vs bare RPUSH (1 call/job, taking turns)", ">= 0.9 x",
                median_ratio(dispatch, [1.0] * len(dispatch)), 0.9),
        _target("dispatch_many jobs/s", ">= 100,000", bulk and bulk["jobs_per_second"], 100_000),
        _target("pick-up p50 ms", "<= 1", queue["pickup_p50_ms"], 1.0, most=True),
        _target("pick-up p99 ms", "<= 3", queue["pickup_p99_ms"], 3.0, most=True),
        _target("delayed lateness p99 ms", "<= 50",
                extras["delayed_lateness"]["p99_ms"], 50.0, most=True),
        _target("worker RSS MB", "<= 40", queue["rss_mb"], 40.0, most=True),
        _target(f"RSS growth with {extras['delayed_waiting']:,} delayed waiting, MB", "~ 0 (<= 1)",
                rss_flat, 1.0, most=True),
        _target("4 workers vs 2 on 2 cores (jobs/s)", ">= 1.0 x", median_ratio(*workers), 1.0),
    ]


def _target(what: str, target: str, measured: float | None, bound: float,
            most: bool = False) -> dict[str, Any]:
    met = None if measured is None else (measured <= bound if most else measured >= bound)
    return {"what": what, "target": target, "measured": measured, "met": met}


def build_report(rounds: Rounds, skipped: dict[str, str], context: dict[str, Any]
                 ) -> dict[str, Any]:
    """Everything the JSON holds: context (date, machine, settings), rows, targets, skips."""
    best_peer, best_names = best_peer_series(rounds)
    rows = {name: system_row(name, rounds, best_peer) for name in rounds}
    return {
        **context,
        "best_peer_by_round": best_names,
        "systems": list(rows.values()),
        "targets": queue_targets(rows, rounds) if "queue" in rows else [],
        "serving": rows["queue"]["medians"]["extras"].get("serving") if "queue" in rows else None,
        "skipped": skipped,
    }
