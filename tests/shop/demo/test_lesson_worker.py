"""The fault panel's lesson's worker: the kill finds only a lesson's worker running a job.

(Starting one and killing it mid-job, for real: tests/e2e/test_browser_lesson.py.)
"""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import redis as redis_py
from flask.testing import FlaskClient

from jobs import JobQueue, Keys
from shop.demo.faults import FaultRefused
from shop.demo.lesson_worker import is_lesson_worker, kill_lesson_worker_mid_job
from tests.shop.support import post_form


def test_with_no_lesson_worker_running_a_job_the_kill_is_refused_with_why(
    client: FlaskClient,
) -> None:
    response = post_form(client, "/demo/lesson-worker/kill", {"next": "/"})

    assert response.status_code == 303
    assert "No lesson&#39;s worker on this machine is running a job" in client.get("/").text


def test_a_running_job_of_another_process_is_not_a_lesson_workers(
    redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job marked running by a process that is no lesson's worker (a sleep)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        queue = JobQueue(redis, prefix)
        job_id = queue.dispatch("payments", "process_payment", {"order_id": 1})
        redis.hset(Keys(prefix).job("payments", job_id), mapping={
            "state": "running", "worker": f"{socket.gethostname()}:{sleeper.pid}:abc"})

        # Then the panel refuses to kill it
        assert not is_lesson_worker(sleeper.pid)
        with pytest.raises(FaultRefused):
            kill_lesson_worker_mid_job(queue, [("payments", job_id)])
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()

