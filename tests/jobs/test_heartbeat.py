"""Heartbeat: the thread that shows a worker alive and gives dead workers' jobs back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import pytest
import redis as redis_py

from jobs import Job, JobQueue, QueueClient, Worker, connect
from jobs.heartbeat import Heartbeat
from tests.jobs.support import Recorder, WaitFor, list_ids

RECOVERY_SECONDS = 30.0


@pytest.fixture
def client(redis: redis_py.Redis, prefix: str) -> QueueClient:
    return QueueClient(redis, prefix, worker_id="reaper")


@pytest.fixture
def heartbeat(client: QueueClient) -> Iterator[Heartbeat]:
    """A Heartbeat not started: reap_dead is called by the test."""
    beat = Heartbeat(client, recovery_timeout=RECOVERY_SECONDS, max_recoveries=3)
    yield beat
    if beat.is_alive():
        beat.stop()
        beat.join(timeout=5)


def hold(redis: redis_py.Redis, prefix: str, worker_id: str, last_beat: float) -> list[Job]:
    """Register worker_id with a heartbeat at last_beat, holding a job of emails and reports."""
    worker = QueueClient(redis, prefix, worker_id)
    held = [Job("send_email", {}, "emails"), Job("build_report", {}, "reports")]
    for job in held:
        worker.push(job.queue, job)
        assert worker.pop(job.queue, timeout=1) is not None
    worker.start(held)
    redis.zadd(f"{prefix}workers", {worker_id: last_beat})
    return held


def test_reap_dead_returns_the_jobs_of_a_silent_worker(
    heartbeat: Heartbeat, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a worker silent for longer than the recovery timeout, holding two jobs
    email, report = hold(redis, prefix, "dead", last_beat=time.time() - 2 * RECOVERY_SECONDS)

    # When the heartbeat reaps
    reaped = heartbeat.reap_dead(lock_seconds=5)

    # Then both jobs are back on their own queues, and the dead worker is gone
    assert reaped == 2
    assert list_ids(redis, f"{prefix}emails") == [email.id]
    assert list_ids(redis, f"{prefix}reports") == [report.id]
    assert redis.llen(f"{prefix}processing:dead") == 0
    assert redis.zscore(f"{prefix}workers", "dead") is None


def test_reap_dead_never_touches_a_live_workers_jobs(
    heartbeat: Heartbeat, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a live worker beside a dead one
    live = hold(redis, prefix, "live", last_beat=time.time())
    hold(redis, prefix, "dead", last_beat=time.time() - 2 * RECOVERY_SECONDS)

    # When the heartbeat reaps
    reaped = heartbeat.reap_dead(lock_seconds=5)

    # Then only the dead worker's jobs came back
    assert reaped == 2
    assert [job.id for job in live] == list_ids(redis, f"{prefix}processing:live")
    states = QueueClient(redis, prefix).states([job.id for job in live])
    assert [(s.state, s.worker, s.recoveries) for s in states if s] == [("running", "live", 0)] * 2
    assert redis.zscore(f"{prefix}workers", "live") is not None


def test_reap_dead_does_nothing_while_another_worker_holds_the_reaper_lock(
    heartbeat: Heartbeat, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a dead worker, and another worker reaping now
    held = hold(redis, prefix, "dead", last_beat=0.0)
    assert QueueClient(redis, prefix, "other").lock_reaper(5)

    # When this heartbeat tries to reap
    reaped = heartbeat.reap_dead(lock_seconds=5)

    # Then it leaves the dead worker to the one holding the lock
    assert reaped == 0
    assert list_ids(redis, f"{prefix}processing:dead") == [job.id for job in held]
    assert redis.get(f"{prefix}reaper") == "other"


def test_reap_dead_takes_the_lock_for_the_time_given(
    heartbeat: Heartbeat, redis: redis_py.Redis, prefix: str
) -> None:
    heartbeat.reap_dead(lock_seconds=5)

    assert redis.get(f"{prefix}reaper") == "reaper"
    assert 0 < redis.pttl(f"{prefix}reaper") <= 5000


def test_reap_dead_logs_each_dead_worker_it_reaps(
    heartbeat: Heartbeat, redis: redis_py.Redis, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    hold(redis, prefix, "dead", last_beat=0.0)

    heartbeat.reap_dead(lock_seconds=5)

    (message,) = [r.getMessage() for r in caplog.records if r.name == "jobs.heartbeat"]
    assert message.startswith("Worker dead is dead (no heartbeat for 30 s): 2 jobs back")


def test_the_running_thread_beats_and_reaps(
    client: QueueClient, redis: redis_py.Redis, prefix: str, wait_for: WaitFor
) -> None:
    # Given a dead worker holding jobs, and a heartbeat thread with a 0.3 s recovery timeout
    hold(redis, prefix, "dead", last_beat=0.0)
    beat = Heartbeat(client, recovery_timeout=0.3, max_recoveries=3)

    # When it runs
    beat.start()
    try:
        # Then it registers its worker, and gives the dead worker's jobs back
        wait_for(lambda: redis.zscore(f"{prefix}workers", "reaper") is not None)
        wait_for(lambda: redis.llen(f"{prefix}emails") + redis.llen(f"{prefix}reports") == 2)
    finally:
        beat.stop()
        beat.join(timeout=5)
    assert not beat.is_alive()


def test_a_heartbeat_that_cannot_reach_redis_keeps_trying(
    prefix: str, wait_for: WaitFor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jobs.heartbeat")
    unreachable = connect("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    beat = Heartbeat(QueueClient(unreachable, prefix, "w"), recovery_timeout=0.03, max_recoveries=3)

    def failures() -> int:
        return sum(r.getMessage().startswith("heartbeat failed") for r in caplog.records)

    beat.start()
    try:
        wait_for(lambda: failures() >= 2)
        assert beat.is_alive()
    finally:
        beat.stop()
        beat.join(timeout=5)
        unreachable.close()


def is_succeeded(job_queue: JobQueue, job_id: str) -> bool:
    (state,) = job_queue.states([job_id])
    return state is not None and state.state == "succeeded"


def test_a_live_worker_runs_the_jobs_of_a_dead_one(
    make_worker: Callable[..., Worker],
    start_worker: Callable[..., Future[dict[str, int]]],
    job_queue: JobQueue,
    redis: redis_py.Redis,
    prefix: str,
    wait_for: WaitFor,
) -> None:
    # Given a worker that died holding a job of the default queue
    job_id = job_queue.dispatch("default", "send_email", {"order_id": 7})
    redis.lmove(f"{prefix}default", f"{prefix}processing:dead", "LEFT", "RIGHT")
    redis.zadd(f"{prefix}workers", {"dead": 0.0})
    handler = Recorder()

    # When a live worker with a 0.3 s recovery timeout runs
    start_worker(make_worker({"send_email": handler}, recovery_timeout=0.3))
    wait_for(lambda: is_succeeded(job_queue, job_id))

    # Then it ran the job once, counting the recovery
    assert handler.payloads == [{"order_id": 7}]
    (state,) = job_queue.states([job_id])
    assert state is not None and state.recoveries == 1
    assert redis.llen(f"{prefix}processing:dead") == 0
