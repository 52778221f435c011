"""The POST /orders runs, summed up: each rate's medians over the runs, and the words above them.

A run stops rising at its first rate past the bound, so a higher rate has fewer runs than the
lower ones. Its p99 is the median over all the runs, counting each run that stopped below it
as past the bound: a rate only some runs could take is not shown as taken.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from bench.orders_once import (
    JOB_WORKERS,
    LATENCY_BOUND_MS,
    PAYMENT_LATENCY_SECONDS,
    Configuration,
)
from bench.shop_server import describe_gunicorn

# Medians over the runs that reached the rate.
MEDIAN_KEYS = ("answered_per_second", "p50_ms", "max_ms", "late_p99_ms",
               "web_cpu_ms_per_order", "generator_cpu_ms_per_request")


def summarize(configuration: Configuration, runs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Each rate's medians, and the highest rate whose median p99 is within the bound."""
    bound = configuration.bound_ms()
    rates = sorted({point["offered_per_second"] for points in runs for point in points})
    rows = [rate_row(rate, runs) for rate in rates]
    within = [row["offered_per_second"] for row in rows
              if row["p99_ms"] is not None and row["p99_ms"] <= bound and not row["errors"]]
    return {"bound_ms": bound, "runs": len(runs), "rates": rows,
            "highest_rate_within_bound": max(within, default=None)}


def rate_row(rate: float, runs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """One rate over every run: None for the p99 of a run that stopped below it."""
    reached = [point for points in runs for point in points if point["offered_per_second"] == rate]
    by_run = [next((p["p99_ms"] for p in points if p["offered_per_second"] == rate), None)
              for points in runs]
    p99 = statistics.median(math.inf if value is None else value for value in by_run)
    return {
        "offered_per_second": rate, "runs": len(reached),
        "p99_ms": None if math.isinf(p99) else p99, "p99_ms_by_run": by_run,
        **{key: median_of(point.get(key) for point in reached) for key in MEDIAN_KEYS},
        "errors": sum(point["errors"] for point in reached),
        "error_kinds": sorted({kind for point in reached for kind in point["error_kinds"]}),
    }


def median_of(values: Any) -> float | None:
    """The median of the values that are numbers; None if none is."""
    numbers = [value for value in values if isinstance(value, int | float)]
    return statistics.median(numbers) if numbers else None


def describe(seconds: float, rounds: int, gunicorn_args: Sequence[str]) -> str:
    """The paragraph above the table: what ran, and how it was measured."""
    rounded = ("One run" if rounds == 1 else
               f"Medians of {rounds} interleaved runs (errors summed over them)")
    return (
        f"POST /orders: gunicorn as deploy/gunicorn.conf.py sets it "
        f"({describe_gunicorn(gunicorn_args)}), {JOB_WORKERS} job workers, payment latency "
        f"{PAYMENT_LATENCY_SECONDS:g} s, all on the same cores as the load. The load is open: "
        f"each rate's orders are sent on a fixed schedule for {seconds:g} s, each on a new "
        "connection, and each order's latency runs from when it was due to its answer, so a "
        "stalled server shows as latency; \"sent late\" is how late the generator itself sent "
        "them (in the benchmark's process, counted in the latency too). Each run starts on a "
        "fresh database and an empty Redis and raises the rate until the p99 passes "
        f"{LATENCY_BOUND_MS:g} ms beyond the order's own work (none when queued, the "
        "payment when synchronous). Queued: JSON, SHOP_DEMO=0; synchronous: the checkout "
        "form with its CSRF token (POST /orders/sync, a demo route, SHOP_DEMO=1). SQLite in "
        f"WAL mode, synchronous=FULL; PostgreSQL on loopback. {rounded}; a rate's p99 counts "
        "the runs that stopped below it as past the bound. gunicorn CPU: the user and system "
        "CPU time of gunicorn's processes per order answered."
    )
