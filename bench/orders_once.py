"""One run of the POST /orders load: a configuration on a fresh database and an empty Redis.

The shop runs as deployed (bench/shop_server.py) with two job workers beside gunicorn and
the payment gateway taking 1.5 s; the clients (bench/load_generator.py) post for the
given seconds.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from bench.cpu_time import tree_cpu_seconds
from bench.load_generator import generate_load
from bench.orders_requests import QUEUED_ORDER, synchronous_order
from bench.postgres import postgres_schema
from bench.processes import ROOT
from bench.shop_server import Shop, running_shop

CLIENTS = 32
JOB_WORKERS = 2
PAYMENT_LATENCY_SECONDS = 1.5
QUEUED_TIMEOUT_SECONDS = 30.0
# A synchronous answer waits for the gateway, and each client for the others ahead of it.
SYNCHRONOUS_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Configuration:
    """One row of the table: how orders are placed, and on which database."""

    name: str  # for --only
    label: str
    synchronous: bool
    database: str  # "sqlite" or "postgresql"


CONFIGURATIONS = (
    Configuration("queued-sqlite", "queued (jobs run by workers), SQLite", False, "sqlite"),
    Configuration("queued-postgresql", "queued (jobs run by workers), PostgreSQL", False,
                  "postgresql"),
    Configuration("sync-sqlite", "synchronous (jobs inside the request), SQLite", True,
                  "sqlite"),
)


class InitDbFailed(RuntimeError):
    """`flask init-db` failed; the message is its last line of output."""


def run_once(configuration: Configuration, redis_url: str, seconds: float, folder: Path,
             gunicorn_args: Sequence[str]) -> dict[str, Any]:
    """One configuration once: a fresh database, an empty Redis, the shop, the load."""
    folder.mkdir(parents=True)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # the benchmark's own Redis: the last run's jobs would weigh on this one
    client.close()
    with database_url(configuration.database, folder) as url:
        env = {
            **os.environ, "REDIS_URL": redis_url, "DATABASE_URL": url, "SHOP_SMTP_HOST": "",
            "SHOP_INSTANCE_PATH": str(folder / "instance"),
            "SHOP_PAYMENT_LATENCY": str(PAYMENT_LATENCY_SECONDS),
            # The production setting, except where the route exists only in the demo.
            "SHOP_DEMO": "1" if configuration.synchronous else "0",
            # Production mode needs it; one for every gunicorn worker, as behind a balancer.
            "SECRET_KEY": secrets.token_hex(32),
        }
        init_db(env)
        with running_shop(env, JOB_WORKERS, folder / "shop.log", gunicorn_args) as shop:
            return load(shop, configuration.synchronous, seconds)


def load(shop: Shop, synchronous: bool, seconds: float) -> dict[str, Any]:
    """Post orders for seconds; what the generator measured, and gunicorn's CPU per request."""
    if synchronous:
        request, timeout_seconds = synchronous_order(shop.port), SYNCHRONOUS_TIMEOUT_SECONDS
    else:
        request, timeout_seconds = QUEUED_ORDER, QUEUED_TIMEOUT_SECONDS
    cpu_before = tree_cpu_seconds(shop.web_pid)
    result = generate_load(shop.port, request, seconds, CLIENTS, timeout_seconds)
    cpu_after = tree_cpu_seconds(shop.web_pid)
    if cpu_before is not None and cpu_after is not None and result["requests"]:
        result["web_cpu_ms_per_request"] = (cpu_after - cpu_before) * 1000 / result["requests"]
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
