"""The fault panel's faults, each real: a malformed message, dropped connections, a kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis as redis_py
from flask.testing import FlaskClient
from redis.cluster import RedisCluster

from jobs import JobQueue, Keys, Worker, WorkerRegistry, connect, connect_cluster
from shop.demo.faults import (
    FaultRefused,
    drop_connections,
    is_own_worker,
    kill_worker_mid_job,
    local_pid,
)
from shop.extensions import client_name
from tests.shop.support import post_form


def test_a_malformed_message_is_pushed_and_a_worker_fails_it(
    client: FlaskClient, redis: redis_py.Redis, prefix: str
) -> None:
    response = post_form(client, "/demo/faults/malformed", {"next": "/dashboard"})

    assert response.status_code == 303
    [pushed] = redis.lrange(Keys(prefix).queue("payments"), 0, -1)
    assert pushed.startswith("not a job")
    Worker(redis, {}, prefix=prefix).run(["payments"], burst=True)
    assert "Malformed job" in client.get("/dashboard").text


def test_dropping_connections_closes_only_this_shops_and_clients_reconnect(
    redis_url: str, prefix: str, redis: redis_py.Redis
) -> None:
    # Given a connection named as this shop's workers', and one of another app
    ours = connect(redis_url, client_name=client_name(prefix, "worker"))
    theirs = connect(redis_url, client_name="someone-else")
    ours_id, theirs_id = ours.client_id(), theirs.client_id()

    dropped = drop_connections(redis, [client_name(prefix, "worker")])

    assert dropped == 1
    assert ours.client_id() != ours_id  # it was closed; redis-py connected again
    assert theirs.client_id() == theirs_id
    ours.close()
    theirs.close()


def test_only_a_worker_of_this_host_can_be_killed() -> None:
    host = socket.gethostname()
    assert local_pid(f"{host}:{os.getpid()}:abc") is None  # never the caller itself
    assert local_pid(f"elsewhere.example:{os.getpid() + 1}:abc") is None
    assert local_pid("not-a-worker-id") is None


def test_with_no_worker_running_a_job_nothing_is_killed(
    redis: redis_py.Redis, prefix: str
) -> None:
    redis.zadd(Keys(prefix).workers, {f"{socket.gethostname()}:1:abc": 0})  # an idle worker

    with pytest.raises(FaultRefused, match="No worker started beside this web app"):
        kill_worker_mid_job(JobQueue(redis, prefix), fresh_seconds=30)


def hold_a_job(redis: redis_py.Redis, prefix: str, pid: int) -> tuple[str, str]:
    """Register pid as a worker with a fresh heartbeat, holding a job; return both ids."""
    worker_id = f"{socket.gethostname()}:{pid}:abc"
    WorkerRegistry(redis, Keys(prefix), worker_id, max_recoveries=3).register(["payments"])
    job_id = JobQueue(redis, prefix).dispatch("payments", "process_payment", {})
    keys = Keys(prefix)
    redis.lmove(keys.queue("payments"), keys.processing("payments", worker_id), "LEFT", "RIGHT")
    return worker_id, job_id


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """Start processes, children of this test, running a script of a given name that sleeps."""
    started: list[subprocess.Popen[bytes]] = []

    def start(script_name: str) -> subprocess.Popen[bytes]:
        script = tmp_path / script_name
        script.write_text("import time\ntime.sleep(60)\n")
        started.append(subprocess.Popen([sys.executable, str(script), "worker"]))
        return started[-1]

    yield start
    for process in started:
        process.kill()
        process.wait()


def test_a_worker_this_launcher_started_holding_a_job_is_killed(
    redis: redis_py.Redis, prefix: str, sleeper: Callable[[str], subprocess.Popen[bytes]]
) -> None:
    # Given a worker.py this test started (the test plays run.py), holding a job
    process = sleeper("worker.py")
    worker_id, job_id = hold_a_job(redis, prefix, process.pid)

    victim = kill_worker_mid_job(JobQueue(redis, prefix), 30, launcher_pid=os.getpid())

    assert (victim.worker_id, victim.pid, victim.job_id) == (worker_id, process.pid, job_id)
    assert process.wait(timeout=5) == -signal.SIGKILL


def test_a_forged_registry_entry_cannot_get_another_process_killed(
    redis: redis_py.Redis, prefix: str, sleeper: Callable[[str], subprocess.Popen[bytes]]
) -> None:
    # Given registry entries naming processes that are not the shop's workers: one whose
    # command line says "worker" (as a gunicorn worker's does), and a worker.py that this
    # launcher did not start (the test's own parent's child: the test process itself is one)
    impostor = sleeper("gunicorn.py")
    hold_a_job(redis, prefix, impostor.pid)

    # When the fault is asked for, Then nothing is killed
    with pytest.raises(FaultRefused, match="No worker started beside this web app"):
        kill_worker_mid_job(JobQueue(redis, prefix), 30, launcher_pid=os.getpid())
    assert impostor.poll() is None
    with pytest.raises(FaultRefused):
        kill_worker_mid_job(JobQueue(redis, prefix), 30, launcher_pid=os.getppid())
    assert impostor.poll() is None


def test_a_worker_py_of_another_launcher_is_not_ours(
    sleeper: Callable[[str], subprocess.Popen[bytes]]
) -> None:
    process = sleeper("worker.py")

    assert is_own_worker(process.pid, os.getpid())
    assert not is_own_worker(process.pid, os.getppid())
    assert not is_own_worker(process.pid, 1)  # an orphaned web app proves nothing


def test_on_a_cluster_connections_are_dropped_on_every_node(
    redis_cluster_url: str, prefix: str
) -> None:
    # Given a cluster client named as this shop's workers', connected to every node, and
    # one of another app
    name = client_name(prefix, "worker")
    ours = connect_cluster(redis_cluster_url, client_name=name)
    theirs = connect_cluster(redis_cluster_url, client_name="someone-else")
    for client in (ours, theirs):
        client.ping(target_nodes=RedisCluster.ALL_NODES)
    admin = connect_cluster(redis_cluster_url)

    def named(wanted: str) -> int:
        return sum(1 for node in admin.get_nodes()
                   for seen in admin.get_redis_connection(node).client_list()
                   if seen["name"] == wanted)

    ours_before, theirs_before = named(name), named("someone-else")

    # When the fault panel drops this shop's connections
    dropped = drop_connections(admin, [name])

    # Then every one of them is closed, on every node, and no other
    assert dropped == ours_before >= len(admin.get_nodes())
    assert named(name) == 0
    assert named("someone-else") == theirs_before
    # And the client connects again on its next command
    assert ours.ping(target_nodes=RedisCluster.ALL_NODES)
    for client in (ours, theirs, admin):
        client.close()
