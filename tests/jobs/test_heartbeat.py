"""Heartbeat: the thread that shows a worker alive and gives dead workers' jobs back."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
import redis as redis_py

from jobs import Job, JobQueue, Keys, WorkerRegistry, connect
from jobs.registry import Heartbeat
from tests.jobs.support import MakeWorker, Recorder, StartWorker, exited, hold_jobs, list_ids
from tests.waiting import wait_for

RECOVERY_SECONDS = 30.0


@pytest.fixture
def registry(redis: redis_py.Redis, keys: Keys) -> WorkerRegistry:
    return WorkerRegistry(redis, keys, "reaper", max_recoveries=3)


@pytest.fixture
def heartbeat(registry: WorkerRegistry) -> Iterator[Heartbeat]:
    """A Heartbeat not started: reap_dead is called by the test."""
    beat = Heartbeat(registry, recovery_timeout=RECOVERY_SECONDS)
    yield beat
    if beat.is_alive():
        beat.stop()
        beat.join(timeout=5)


def hold(redis: redis_py.Redis, keys: Keys, worker_id: str, last_beat: float) -> list[Job]:
    """Register worker_id with a heartbeat at last_beat, holding a job of emails and reports."""
    held = [Job("send_email", {}, "emails"), Job("build_report", {}, "reports")]
    hold_jobs(redis, keys.prefix, worker_id, held)
    redis.zadd(keys.workers, {worker_id: last_beat})
    return held


def test_reap_dead_returns_the_jobs_of_a_silent_worker(
    heartbeat: Heartbeat, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a worker silent for longer than the recovery timeout, holding two jobs
    email, report = hold(redis, keys, "dead", last_beat=time.time() - 2 * RECOVERY_SECONDS)

    # When the heartbeat reaps
    reaped = heartbeat.reap_dead(lock_seconds=5)

    # Then both jobs are back on their own queues, and the dead worker is gone
    assert reaped == 2
    assert list_ids(redis, keys.queue("emails")) == [email.id]
    assert list_ids(redis, keys.queue("reports")) == [report.id]
    assert [redis.llen(keys.processing(queue, "dead")) for queue in ("emails", "reports")] == [
        0, 0
    ], "the dead worker holds nothing"
    assert redis.zscore(keys.workers, "dead") is None


def test_reap_dead_never_touches_a_live_workers_jobs(
    heartbeat: Heartbeat, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a live worker beside a dead one
    live = hold(redis, keys, "live", last_beat=time.time())
    hold(redis, keys, "dead", last_beat=time.time() - 2 * RECOVERY_SECONDS)

    # When the heartbeat reaps
    reaped = heartbeat.reap_dead(lock_seconds=5)

    # Then only the dead worker's jobs came back
    assert reaped == 2
    assert [job.id for job in live] == [
        *list_ids(redis, keys.processing("emails", "live")),
        *list_ids(redis, keys.processing("reports", "live")),
    ]
    states = JobQueue(redis, keys.prefix).states([(job.queue, job.id) for job in live])
    assert [(s.state, s.worker, s.recoveries) for s in states if s] == [("running", "live", 0)] * 2
    assert redis.zscore(keys.workers, "live") is not None


def test_reap_dead_does_nothing_while_another_worker_holds_the_reaper_lock(
    heartbeat: Heartbeat, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a dead worker, and another worker reaping now
    held = hold(redis, keys, "dead", last_beat=0.0)
    assert WorkerRegistry(redis, keys, "other", 3).lock_reaper(5)

    # When this heartbeat tries to reap
    reaped = heartbeat.reap_dead(lock_seconds=5)

    # Then it leaves the dead worker to the one holding the lock
    assert reaped == 0
    assert [*list_ids(redis, keys.processing("emails", "dead")),
            *list_ids(redis, keys.processing("reports", "dead"))] == [job.id for job in held]
    assert redis.get(keys.reaper) == "other"


def test_reap_dead_takes_the_lock_for_the_time_given(
    heartbeat: Heartbeat, redis: redis_py.Redis, keys: Keys
) -> None:
    heartbeat.reap_dead(lock_seconds=5)

    assert redis.get(keys.reaper) == "reaper"
    assert 0 < redis.pttl(keys.reaper) <= 5000


def test_reap_dead_logs_each_dead_worker_it_reaps(
    heartbeat: Heartbeat, redis: redis_py.Redis, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    hold(redis, keys, "dead", last_beat=0.0)

    heartbeat.reap_dead(lock_seconds=5)

    (message,) = [r.getMessage() for r in caplog.records if r.name == "jobs.registry"]
    assert message.startswith("Worker dead is dead (no heartbeat for 30 s): 2 jobs back")


def test_the_running_thread_beats_and_reaps(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a dead worker holding jobs, and a heartbeat thread with a 0.3 s recovery timeout
    hold(redis, keys, "dead", last_beat=0.0)
    beat = Heartbeat(registry, recovery_timeout=0.3)

    # When it runs
    beat.start()
    try:
        # Then it registers its worker, and gives the dead worker's jobs back
        wait_for(lambda: redis.zscore(keys.workers, "reaper") is not None,
                 "the heartbeat to register its worker")
        wait_for(lambda: redis.llen(keys.queue("emails")) + redis.llen(keys.queue("reports")) == 2,
                 "the dead worker's two jobs back on their queues")
    finally:
        beat.stop()
        beat.join(timeout=5)
    assert not beat.is_alive()


def test_a_heartbeat_that_cannot_reach_redis_keeps_trying(
    keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="jobs.registry")
    unreachable = connect("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    beat = Heartbeat(WorkerRegistry(unreachable, keys, "w", 3), recovery_timeout=0.03)

    def failures() -> int:
        return sum(r.getMessage().startswith("heartbeat failed") for r in caplog.records)

    beat.start()
    try:
        wait_for(lambda: failures() >= 2, "two failed beats")
        assert beat.is_alive(), "the heartbeat keeps trying"
    finally:
        beat.stop()
        beat.join(timeout=5)
        unreachable.close()


def is_succeeded(job_queue: JobQueue, job_id: str) -> bool:
    (state,) = job_queue.states([("default", job_id)])
    return state is not None and state.state == "succeeded"


def test_a_live_worker_runs_the_jobs_of_a_dead_one(
    make_worker: MakeWorker,
    start_worker: StartWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    keys: Keys,
) -> None:
    # Given a worker that died holding a job of the default queue
    job_id = job_queue.dispatch("default", "send_email", {"order_id": 7})
    redis.lmove(keys.queue("default"), keys.processing("default", "dead"), "LEFT", "RIGHT")
    redis.zadd(keys.workers, {"dead": 0.0})
    handler = Recorder()

    # When a live worker with a 0.3 s recovery timeout runs
    running = start_worker(make_worker({"send_email": handler}, recovery_timeout=0.3))
    wait_for(lambda: is_succeeded(job_queue, job_id), "the dead worker's job to succeed",
             give_up=exited(running))

    # Then it ran the job once, counting the recovery
    assert handler.payloads == [{"order_id": 7}]
    (state,) = job_queue.states([("default", job_id)])
    assert state is not None and state.recoveries == 1
    assert redis.llen(keys.processing("default", "dead")) == 0, "the dead worker holds nothing"
