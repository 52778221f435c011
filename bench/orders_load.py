"""POST /orders as its users feel it: the deployed gunicorn, orders at rising fixed rates.

Each configuration (queued on SQLite, queued on PostgreSQL, synchronous on SQLite) runs
once per round, the rounds interleaved (A B C A B C), each run as bench/orders_once.py says;
bench/orders_summary.py takes the medians. `python -m bench.orders_load` runs only this
part, on a Redis of its own (see --help).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.orders_once import CONFIGURATIONS, InitDbFailed, run_once
from bench.orders_requests import NoCheckoutForm
from bench.orders_summary import describe, summarize
from bench.postgres import NoPostgres
from bench.redis_server import start_bench_redis
from bench.shop_server import ShopDidNotStart
from bench.table import orders_lines

SECONDS_PER_RATE = 10.0
ROUNDS = 3


def run(redis_url: str, seconds: float, workdir: Path, rounds: int = ROUNDS,
        only: Sequence[str] = (), gunicorn_args: Sequence[str] = (),
        max_points: int | None = None) -> dict[str, Any]:
    """Every configuration (or those named in only), rounds times; medians, or why skipped."""
    if seconds <= 0:
        return {"skipped": "--orders-seconds 0"}
    if importlib.util.find_spec("gunicorn") is None:
        return {"skipped": "gunicorn is not installed: pip install -e '.[deploy]'"}
    chosen = [c for c in CONFIGURATIONS if not only or c.name in only]
    runs: dict[str, list[list[dict[str, Any]]]] = {c.name: [] for c in chosen}
    skipped: dict[str, str] = {}
    for round_no in range(1, rounds + 1):
        for configuration in (c for c in chosen if c.name not in skipped):
            folder = workdir / f"orders-{configuration.name}-{round_no}"
            try:
                points = run_once(configuration, redis_url, seconds, folder, gunicorn_args,
                                  max_points)
            except (NoPostgres, InitDbFailed, ShopDidNotStart, NoCheckoutForm) as error:
                skipped[configuration.name] = str(error)
                continue
            runs[configuration.name].append(points)
            print(f"orders round {round_no} {configuration.name:<17} " + ", ".join(
                f"{p['offered_per_second']:g}/s p99 {p['p99_ms']:.1f} ms" for p in points),
                flush=True)
    return {
        "description": describe(seconds, rounds, gunicorn_args),
        "modes": {c.label: summarize(c, runs[c.name]) if runs[c.name]
                  else {"skipped": skipped[c.name]} for c in chosen},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="POST /orders under load, alone: a Redis of "
                                     "its own, no queue rounds; prints the table.")
    parser.add_argument("--seconds", type=float, default=SECONDS_PER_RATE, help="per rate")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--only", metavar="NAMES", default="",
                        help=f"comma-separated: {', '.join(c.name for c in CONFIGURATIONS)}")
    parser.add_argument("--max-points", type=int, default=None,
                        help="stop rising after this many rates, whatever the p99")
    parser.add_argument("--gunicorn-arg", action="append", default=[], metavar="ARG",
                        help="added to gunicorn's command line, to try a setting; repeatable")
    args = parser.parse_args(argv)
    server = start_bench_redis()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-orders-") as workdir:
            orders = run(server.url, args.seconds, Path(workdir), args.rounds,
                         [name for name in args.only.split(",") if name], args.gunicorn_arg,
                         args.max_points)
    finally:
        server.stop()
    print("\n" + orders_lines(orders))
    return 0


if __name__ == "__main__":
    sys.exit(main())
