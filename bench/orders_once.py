"""One run of the POST /orders load: a configuration on a fresh database and an empty Redis,
the rate of orders raised step by step until the p99 passes its bound.

The shop runs as deployed (bench/shop_server.py) with two job workers beside gunicorn and
the payment gateway taking 1.5 s; bench/load_generator.py sends each rate's orders on a
fixed schedule for the given seconds.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from bench.cpu_time import tree_cpu_seconds
from bench.load_generator import LoadRequest, generate_load
from bench.orders_requests import QUEUED_ORDER, synchronous_order
from bench.postgres import postgres_schema
from bench.processes import ROOT
from bench.shop_server import Shop, running_shop

JOB_WORKERS = 2
PAYMENT_LATENCY_SECONDS = 1.5
# A rate's p99 may exceed the order's own work (none queued, the payment synchronous) by
# this much; past it the shop is queueing requests, and the run stops rising.
LATENCY_BOUND_MS = 100.0
WARM_UP_SECONDS = 1.0
QUEUED_TIMEOUT_SECONDS = 30.0
# A synchronous answer waits for the gateway, and for the orders ahead of it once saturated.
SYNCHRONOUS_TIMEOUT_SECONDS = 120.0
# Not the JSON API's concern, but the app refuses to start without it outside demo mode.
BENCH_SECRET_KEY = "bench-" + "0" * 58


@dataclass(frozen=True)
class Configuration:
    """One section of the table: how orders are placed, on which database, at which rates."""

    name: str  # for --only
    label: str
    synchronous: bool
    database: str  # "sqlite" or "postgresql"
    first_rates: tuple[float, ...]  # orders per second, then on by step until the bound
    step: float

    def rates(self) -> Iterator[float]:
        """The rates to try, in order, without end."""
        last = self.first_rates[-1]
        yield from self.first_rates
        yield from (last + self.step * n for n in itertools.count(1))

    def bound_ms(self) -> float:
        """The p99 past which a rate is more than the shop answers without queueing."""
        work_ms = PAYMENT_LATENCY_SECONDS * 1000 if self.synchronous else 0.0
        return work_ms + LATENCY_BOUND_MS


QUEUED_RATES = (50.0, 100.0, 200.0, 300.0)
CONFIGURATIONS = (
    Configuration("queued-sqlite", "queued, SQLite", False, "sqlite", QUEUED_RATES, 100.0),
    Configuration("queued-postgresql", "queued, PostgreSQL", False, "postgresql",
                  QUEUED_RATES, 100.0),
    # 3 gunicorn workers, each held 1.5 s by the payment: 2 orders a second at most.
    Configuration("sync-sqlite", "synchronous, SQLite", True, "sqlite", (0.5, 1.0), 1.0),
)


class InitDbFailed(RuntimeError):
    """`flask init-db` failed; the message is its last line of output."""


def run_once(configuration: Configuration, redis_url: str, seconds: float, folder: Path,
             gunicorn_args: Sequence[str], max_points: int | None = None
             ) -> list[dict[str, Any]]:
    """Climb the configuration's rates on a fresh shop until p99 passes the bound (or errors)."""
    folder.mkdir(parents=True)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # the benchmark's own Redis: the last run's jobs would weigh on this one
    client.close()
    with database_url(configuration.database, folder) as url:
        env = {
            **os.environ, "REDIS_URL": redis_url, "DATABASE_URL": url, "SHOP_SMTP_HOST": "",
            "SHOP_INSTANCE_PATH": str(folder / "instance"), "SECRET_KEY": BENCH_SECRET_KEY,
            "SHOP_PAYMENT_LATENCY": str(PAYMENT_LATENCY_SECONDS),
            # The production setting, except where the route exists only in the demo.
            "SHOP_DEMO": "1" if configuration.synchronous else "0",
        }
        init_db(env)
        with running_shop(env, JOB_WORKERS, folder / "shop.log", gunicorn_args) as shop:
            return climb(shop, configuration, seconds, max_points)


def climb(shop: Shop, configuration: Configuration, seconds: float, max_points: int | None
          ) -> list[dict[str, Any]]:
    """Load each rate in turn; stop after the first past the bound or with errors."""
    if configuration.synchronous:
        request, timeout = synchronous_order(shop.port), SYNCHRONOUS_TIMEOUT_SECONDS
    else:
        request, timeout = QUEUED_ORDER, QUEUED_TIMEOUT_SECONDS
    rates = configuration.rates()
    # Every gunicorn worker's first requests open its connections and fill its caches.
    generate_load(shop.port, request, configuration.first_rates[0], WARM_UP_SECONDS, timeout)
    points: list[dict[str, Any]] = []
    for rate in itertools.islice(rates, max_points):
        point = load(shop, request, rate, seconds, timeout)
        points.append(point)
        if point["errors"] or point["p99_ms"] > configuration.bound_ms():
            break
    return points


def load(shop: Shop, request: LoadRequest, rate: float, seconds: float, timeout_seconds: float
         ) -> dict[str, Any]:
    """One rate for seconds: what the generator measured, and gunicorn's CPU per order."""
    cpu_before = tree_cpu_seconds(shop.web_pid)
    result = generate_load(shop.port, request, rate, seconds, timeout_seconds)
    cpu_after = tree_cpu_seconds(shop.web_pid)
    answered = result["samples"]
    if cpu_before is not None and cpu_after is not None and answered:
        result["web_cpu_ms_per_order"] = (cpu_after - cpu_before) * 1000 / answered
    return result


@contextmanager
def database_url(database: str, folder: Path) -> Iterator[str]:
    """A new, empty database of the given kind for one run."""
    if database == "sqlite":
        yield f"sqlite:///{folder / 'shop.db'}"
    else:
        with postgres_schema() as url:
            yield url


def init_db(env: dict[str, str]) -> None:
    """Apply the migrations and seed the products, as a deployment does."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "shop", "init-db"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise InitDbFailed(f"init-db failed: {done.stderr.strip().splitlines()[-1:]}")
