"""Redis Cluster: the queue and the shop on a real cluster of three masters, started by the
tests (tests/conftest.py, devtools/redis_cluster.py).

Each queue's keys share one hash slot (jobs/keys.py), so every script runs on one node and
the queues spread over the nodes; workers serving several queues wait on each with its own
connection (jobs/wakeup.py).
"""

from __future__ import annotations

import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.cluster import RedisCluster

from jobs import JobState, Keys
from jobs.lesson_worker import LessonWorker
from tests.e2e.fleet import Fleet
from tests.e2e.support import Shop, wait_for
from tests.e2e.test_order_flow import job_states, place_order

QUEUES = ["payments", "emails", "reports"]
JOBS_PER_QUEUE = 1000


@pytest.fixture
def fleet(cluster: RedisCluster, redis_cluster_url: str, prefix: str,
          tmp_path: Path) -> Iterator[Fleet]:
    """Recording workers on the cluster; killed after the test."""
    fleet = Fleet(cluster, redis_cluster_url, prefix, tmp_path, cluster=True)
    try:
        yield fleet
    finally:
        fleet.kill_all()


def serving_all(fleet: Fleet, name: str, *options: str) -> None:
    fleet.start_ready(name, *(arg for queue in QUEUES for arg in ("--queue", queue)), *options)


def test_the_three_queues_live_on_three_nodes(cluster: RedisCluster, prefix: str) -> None:
    keys = Keys(prefix, cluster=True)

    nodes = {queue: cluster.get_node_from_key(keys.queue(queue)).name for queue in QUEUES}
    own = {queue: {cluster.get_node_from_key(key).name for key in (
        keys.queue(queue), keys.marker(queue), keys.delayed(queue), keys.failed(queue),
        keys.processing(queue, "w"), keys.job(queue, "j"), keys.handler_stats(queue))}
        for queue in QUEUES}

    assert all(own[queue] == {nodes[queue]} for queue in QUEUES), "a queue's keys on one node"
    assert len(set(nodes.values())) > 1, "the queues spread over the nodes"


def test_workers_drain_thousands_of_jobs_over_three_queues_each_once(
    fleet: Fleet, cluster: RedisCluster
) -> None:
    # Given three workers, each serving the three queues
    for name in ("w1", "w2", "w3"):
        serving_all(fleet, name)

    # When 1,000 jobs are dispatched onto each queue
    ids = {queue: fleet.queue.dispatch_many(
        queue, "noop", [{"n": n} for n in range(i * JOBS_PER_QUEUE, (i + 1) * JOBS_PER_QUEUE)])
        for i, queue in enumerate(QUEUES)}

    # Then every job runs exactly once, and succeeds
    total = len(QUEUES) * JOBS_PER_QUEUE
    wait_for(lambda: len(fleet.count("end")) == total, "every job to run", seconds=120)
    assert set(fleet.count("end").values()) == {1}, "no job ran twice"
    states = fleet.queue.states([(queue, job_id) for queue in QUEUES for job_id in ids[queue]])
    assert Counter(state.state if state else None for state in states) == {"succeeded": total}
    # and nothing is left held, waiting or failed
    keys = fleet.keys
    assert [cluster.llen(keys.queue(queue)) for queue in QUEUES] == [0, 0, 0]
    assert fleet.queue.failed(queues=QUEUES) == []
    assert sum(fleet.queue.throughput(5, queues=QUEUES).processed) == total
    assert all(worker.poll() is None for worker in fleet.workers.values())


def test_a_killed_workers_job_runs_again_on_another(fleet: Fleet) -> None:
    # Given a worker running a slow job of the reports queue
    serving_all(fleet, "w1")
    job_id = fleet.queue.dispatch("reports", "slow", {"n": 1, "seconds": 3.0})
    wait_for(lambda: fleet.events("start", 1) or None, "the slow job to start")

    # When it is killed with SIGKILL, and another worker serves the queues
    fleet.kill("w1")
    serving_all(fleet, "w2")

    # Then the reaper gives the job back, and it runs to its end on the other worker
    def succeeded() -> JobState | None:
        (state,) = fleet.queue.states([("reports", job_id)])
        return state if state is not None and state.state == "succeeded" else None

    state = wait_for(succeeded, "the job to run again", seconds=30)
    assert (state.recoveries, state.attempts) == (1, 2)
    (end,) = fleet.events("end", 1)
    assert fleet.name_of(end.pid) == "w2"
    assert fleet.queue.check_invariant([job_id], QUEUES).ok


def test_delayed_jobs_of_each_queue_run_once_due_not_before(fleet: Fleet) -> None:
    # Given a worker serving the three queues, waiting
    serving_all(fleet, "w1")

    # When a job is dispatched onto each queue to run in 0.5 to 1 s
    dispatched = time.time()
    for n, queue in enumerate(QUEUES):
        fleet.queue.dispatch(queue, "noop", {"n": n}, delay=0.5 + 0.25 * n)

    # Then each runs once it is due, and not before (a generous bound after)
    wait_for(lambda: len(fleet.count("end")) == 3, "the delayed jobs to run", seconds=10)
    for n in range(3):
        (start,) = fleet.events("start", n)
        assert dispatched + 0.5 + 0.25 * n <= start.at < dispatched + 0.5 + 0.25 * n + 2.0


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the cluster is Redis's, whatever the database."""
    return f"sqlite:///{tmp_path / 'shop.db'}"


def test_the_shop_places_orders_and_runs_their_jobs_on_a_cluster(
    shop: Shop, redis_cluster_url: str, cluster: RedisCluster
) -> None:
    # Given the web app and two workers, all on the cluster
    shop.env |= {"REDIS_CLUSTER": "1", "REDIS_URL": redis_cluster_url,
                 "SHOP_PAYMENT_LATENCY": "0.2", "SHOP_DASHBOARD_TOKEN": "the-token"}
    http = shop.start_web()
    for n in (1, 2):
        shop.start_worker(f"worker-{n}")

    # When orders are placed
    orders = [place_order(http, f"buyer-{n}@example.com")[1]["order_id"] for n in range(5)]

    # Then every job of every order succeeds
    wait_for(lambda: all(set(job_states(http, order_id).values()) == {"succeeded"}
                         for order_id in orders), "every job of every order", seconds=60)
    # and /metrics, the dashboard and the jobs command read the queues across the nodes
    with urllib.request.urlopen(http.base_url + "/metrics", timeout=10) as response:
        metrics = response.read().decode()
    assert 'shop_jobs_processed_total{handler="process_payment"} 5.0' in metrics
    dashboard = urllib.request.Request(http.base_url + "/dashboard",
                                       headers={"Authorization": "Bearer the-token"})
    with urllib.request.urlopen(dashboard, timeout=10) as response:
        assert response.status == 200
        assert "payments" in response.read().decode()
    failed = shop.run(sys.executable, "-m", "flask", "--app", "shop", "jobs", "failed")
    assert failed.stdout.decode() == "No failed jobs.\n"


def test_the_lessons_worker_refuses_several_queues_on_a_cluster_saying_why(
    cluster: RedisCluster, prefix: str
) -> None:
    worker = LessonWorker(cluster, {}, prefix=prefix)

    with pytest.raises(ValueError, match="refuses for keys of several slots"):
        worker.run(QUEUES, burst=True)
