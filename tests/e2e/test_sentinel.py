"""Redis Sentinel: the shop's processes find the master through the sentinels and follow a
failover, on a real master, replica and three sentinels started here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.sentinel_group import MASTER_NAME, SentinelGroup
from tests.e2e.support import Http, Shop, wait_for
from tests.e2e.test_order_flow import job_states, place_order

ORDERS = 6  # before the failover, and again after it


@pytest.fixture
def group(tmp_path: Path) -> Iterator[SentinelGroup]:
    servers = SentinelGroup(tmp_path / "sentinel")
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the failover is Redis's, whatever the database."""
    return f"sqlite:///{tmp_path / 'shop.db'}"


def on_the_group(shop: Shop, group: SentinelGroup) -> Shop:
    """The shop's processes started from now on find Redis through the group's sentinels,
    each dispatch acknowledged by the replica (JOBS_WAIT_REPLICAS=1)."""
    shop.env |= {
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens there: the sentinels must
        "REDIS_SENTINELS": group.sentinels_setting,
        "REDIS_SENTINEL_MASTER": MASTER_NAME,
        "JOBS_WAIT_REPLICAS": "1",
        "SHOP_PAYMENT_LATENCY": "0.5",
    }
    return shop


def all_succeeded(http: Http, order_ids: list[int]) -> bool:
    return all(set(job_states(http, order_id).values()) == {"succeeded"}
               for order_id in order_ids)


def test_the_shop_follows_a_failover_and_every_job_runs(shop: Shop, group: SentinelGroup) -> None:
    # Given the web app, the relay and two workers, all finding Redis through the sentinels
    sentinel_shop = on_the_group(shop, group)
    http = sentinel_shop.start_web()
    sentinel_shop.start("relay", sys.executable, "-m", "flask", "--app", "shop", "relay")
    workers = [sentinel_shop.start_worker(f"worker-{n}") for n in (1, 2)]
    wait_for(lambda: all("Worker started" in sentinel_shop.log(f"worker-{n}") for n in (1, 2)),
             "both workers to start")
    before = [place_order(http, f"before-{n}@example.com")[1]["order_id"] for n in range(ORDERS)]
    wait_for(lambda: any(state == "running" for order_id in before
                         for state in job_states(http, order_id).values()),
             "a job to be running", seconds=30)

    # When the master is killed mid-drain, and the sentinels promote the replica
    old_master = group.kill_master()
    group.wait_for_failover(old_master)
    # (the old master comes back as a replica, so dispatches can be acknowledged again)
    group.restart_old_master(old_master)

    # Then new orders are answered 201, and every job of every order runs
    after = [place_order(http, f"after-{n}@example.com")[1]["order_id"] for n in range(ORDERS)]
    wait_for(lambda: all_succeeded(http, before + after), "every job of every order to succeed",
             seconds=90)
    # and the workers never exited
    assert [worker.poll() for worker in workers] == [None, None], (
        sentinel_shop.log("worker-1") + sentinel_shop.log("worker-2")
    )
