"""POST /orders under load still runs: a second of each SQLite configuration, against gunicorn."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import orders_load, orders_once
from bench.redis_server import start_bench_redis


@pytest.fixture
def bench_redis_url() -> Iterator[str]:
    """A redis-server of the benchmark's own, as `python -m bench.orders_load` starts."""
    server = start_bench_redis()
    yield server.url
    server.stop()


@pytest.mark.skipif(importlib.util.find_spec("gunicorn") is None,
                    reason="gunicorn is not installed (the deploy extra)")
def test_the_queued_and_the_synchronous_checkout_answer_under_load(
    bench_redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a gateway that answers at once (a synchronous order would take 1.5 s otherwise)
    # and the fallback load generator, which runs wherever Python does
    monkeypatch.setattr(orders_once, "PAYMENT_LATENCY_SECONDS", 0.0)
    monkeypatch.setenv("BENCH_LOAD_GENERATOR", "asyncio")

    # When each SQLite configuration is loaded for a second
    orders = orders_load.run(bench_redis_url, 1.0, tmp_path, rounds=1,
                             only=["queued-sqlite", "sync-sqlite"])

    # Then each answered with the expected status (201; 303 after the CSRF-checked form)
    assert set(orders["modes"]) == {"queued (jobs run by workers), SQLite",
                                    "synchronous (jobs inside the request), SQLite"}
    for mode in orders["modes"].values():
        assert mode["requests"] > 0 and mode["errors"] == 0, mode
    assert "asyncio" in orders["description"]
