"""POST /orders under load still runs: two rates of each SQLite configuration, against gunicorn."""

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
    monkeypatch.setattr(orders_once, "PAYMENT_LATENCY_SECONDS", 0.0)

    # When each SQLite configuration is loaded for a second at each of its first two rates,
    # unless the first passes the bound
    orders = orders_load.run(bench_redis_url, 1.0, tmp_path, rounds=1,
                             only=["queued-sqlite", "sync-sqlite"], max_points=2)

    # Then each answered every order with the expected status (201; 303 after the
    # CSRF-checked form), and the report has a row per rate with gunicorn's CPU per order
    assert set(orders["modes"]) == {"queued, SQLite", "synchronous, SQLite"}
    # (one rate only if the first passed the bound: this machine may be busy)
    for mode in orders["modes"].values():
        assert 1 <= len(mode["rates"]) <= 2, mode
        for row in mode["rates"]:
            assert row["errors"] == 0 and row["answered_per_second"] > 0, row
            assert row["web_cpu_ms_per_order"] > 0
    assert "open" in orders["description"]
