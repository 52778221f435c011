"""POST /orders under load, as in issue 6: the deployed gunicorn, 32 clients on loopback.

Each configuration (queued on SQLite, queued on PostgreSQL, synchronous on SQLite) runs
once per round, the rounds interleaved (A B C A B C), each run as bench/orders_once.py says.
`python -m bench.orders_load` runs only this part, on a Redis of its own (see --help).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.orders_once import (
    CLIENTS,
    CONFIGURATIONS,
    JOB_WORKERS,
    PAYMENT_LATENCY_SECONDS,
    InitDbFailed,
    run_once,
)
from bench.orders_requests import NoCheckoutForm
from bench.postgres import NoPostgres
from bench.redis_server import start_bench_redis
from bench.shop_server import ShopDidNotStart, describe_gunicorn
from bench.stats import median_tree
from bench.table import orders_lines

DURATION_SECONDS = 20.0
ROUNDS = 2


def run(redis_url: str, seconds: float, workdir: Path, rounds: int = ROUNDS,
        only: Sequence[str] = (), gunicorn_args: Sequence[str] = ()) -> dict[str, Any]:
    """Every configuration (or those named in only), rounds times; medians, or why skipped."""
    if seconds <= 0:
        return {"skipped": "--orders-seconds 0"}
    if importlib.util.find_spec("gunicorn") is None:
        return {"skipped": "gunicorn is not installed: pip install -e '.[deploy]'"}
    chosen = [c for c in CONFIGURATIONS if not only or c.name in only]
    results: dict[str, list[dict[str, Any]]] = {c.label: [] for c in chosen}
    skipped: dict[str, str] = {}
    for round_no in range(1, rounds + 1):
        for configuration in (c for c in chosen if c.label not in skipped):
            folder = workdir / f"orders-{configuration.name}-{round_no}"
            try:
                result = run_once(configuration, redis_url, seconds, folder, gunicorn_args)
            except (NoPostgres, InitDbFailed, ShopDidNotStart, NoCheckoutForm) as error:
                skipped[configuration.label] = str(error)
                continue
            results[configuration.label].append(result)
            print(f"orders round {round_no} {configuration.name:<17} "
                  f"{result['requests_per_second']:>6,.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
                  f"p99 {result['p99_ms']:.1f} ms, {result['errors']} errors, gunicorn "
                  f"{result.get('web_cpu_ms_per_request', float('nan')):.2f} CPU ms/request",
                  flush=True)
    done = [rs[0] for rs in results.values() if rs]
    generator = done[0]["generator"] if done else "no generator (nothing ran)"
    return {
        "description": describe(seconds, rounds, generator, gunicorn_args),
        "modes": {label: summarize(rs) if rs else {"skipped": skipped[label]}
                  for label, rs in results.items()},
    }


def describe(seconds: float, rounds: int, generator: str, gunicorn_args: Sequence[str]) -> str:
    """The line above the table: what ran, and how it was measured."""
    rounded = ("One round" if rounds == 1 else
               f"Medians of {rounds} interleaved rounds; errors summed over them")
    return (
        f"POST /orders: gunicorn as deploy/gunicorn.conf.py sets it "
        f"({describe_gunicorn(gunicorn_args)}), {JOB_WORKERS} job workers, payment latency "
        f"{PAYMENT_LATENCY_SECONDS:g} s, {CLIENTS} concurrent clients on loopback for "
        f"{seconds:g} s, load from {generator}, all on the same cores. Queued: JSON, with "
        "SHOP_DEMO=0; synchronous: the checkout form with its CSRF token (POST /orders/sync, "
        "a demo route, SHOP_DEMO=1). SQLite in WAL mode; PostgreSQL on loopback. "
        f"{rounded}. gunicorn CPU: the user and system CPU time of gunicorn's processes per "
        "request, whatever else ran on the cores."
    )


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The medians of a configuration's rounds, errors added up, and each round's rate and p99."""
    numbers = [{k: v for k, v in r.items() if k != "error_kinds"} for r in rounds]
    return {
        **median_tree(numbers),
        "errors": sum(r["errors"] for r in rounds),
        "error_kinds": sorted({kind for r in rounds for kind in r["error_kinds"]}),
        "rounds": len(rounds),
        "requests_per_second_by_round": [r["requests_per_second"] for r in rounds],
        "p99_ms_by_round": [r["p99_ms"] for r in rounds],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="POST /orders under load, alone: a Redis of "
                                     "its own, no queue rounds; prints the table.")
    parser.add_argument("--seconds", type=float, default=DURATION_SECONDS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--only", metavar="NAMES", default="",
                        help=f"comma-separated: {', '.join(c.name for c in CONFIGURATIONS)}")
    parser.add_argument("--gunicorn-arg", action="append", default=[], metavar="ARG",
                        help="added to gunicorn's command line, to try a setting; repeatable")
    args = parser.parse_args(argv)
    server = start_bench_redis()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-orders-") as workdir:
            orders = run(server.url, args.seconds, Path(workdir), args.rounds,
                         [name for name in args.only.split(",") if name], args.gunicorn_arg)
    finally:
        server.stop()
    print("\n" + orders_lines(orders))
    return 0


if __name__ == "__main__":
    sys.exit(main())
