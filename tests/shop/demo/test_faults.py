"""The fault panel's faults, each real: a malformed message, dropped connections, a kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
import redis as redis_py
from flask.testing import FlaskClient

from jobs import JobQueue, Keys, Worker, WorkerRegistry, connect
from shop.demo.faults import FaultRefused, drop_connections, kill_worker_mid_job, local_pid
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

    with pytest.raises(FaultRefused, match="No worker on this machine is running a job"):
        kill_worker_mid_job(JobQueue(redis, prefix), fresh_seconds=30)


def test_a_local_worker_holding_a_job_is_killed(redis: redis_py.Redis, prefix: str) -> None:
    # Given a process of this host that passes for a worker ("worker" on its command line),
    # registered with a fresh heartbeat and holding a job
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "worker"])
    try:
        worker_id = f"{socket.gethostname()}:{process.pid}:abc"
        WorkerRegistry(redis, Keys(prefix), worker_id, max_recoveries=3).register(["payments"])
        queue = JobQueue(redis, prefix)
        job_id = queue.dispatch("payments", "process_payment", {})
        keys = Keys(prefix)
        redis.lmove(keys.queue("payments"), keys.processing(worker_id), "LEFT", "RIGHT")

        victim = kill_worker_mid_job(queue, fresh_seconds=30)

        assert (victim.worker_id, victim.pid, victim.job_id) == (worker_id, process.pid, job_id)
        assert process.wait(timeout=5) == -signal.SIGKILL
    finally:
        process.kill()
        process.wait()
