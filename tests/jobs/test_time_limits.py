"""Time limits: a job that runs past its time is stopped by the alarm, and retried.

These run the worker in the test's (main) thread, where it handles SIGALRM, as it does in
its own process.
"""

from __future__ import annotations

import redis as redis_py

from jobs import JobQueue, Keys
from tests.jobs.support import (
    NO_COUNTS,
    MakeWorker,
    Recorder,
    StartWorker,
    Stubborn,
    Working,
    exited,
    state_of,
)
from tests.waiting import wait_for


class StubbornWithItsOwnLimit(Stubborn):
    timeout_seconds = 0.1


def test_a_job_past_its_time_limit_is_stopped_and_retried(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job that would run 10 s, and a quick one behind it
    slow = job_queue.dispatch("default", "slow", {})
    quick = job_queue.dispatch("default", "quick", {})
    stubborn = Stubborn()
    # (its retry a minute away, so a slow machine cannot see it fall due within the burst)
    worker = make_worker({"slow": stubborn, "quick": Recorder()}, job_timeout=0.2,
                         retry_base=30.0)

    # When a worker with a 0.2 s limit per job runs them
    counts = worker.run(burst=True)

    # Then the slow job was stopped, its attempt failed and is to be retried; the quick ran
    assert not stubborn.finished, "the slow job was stopped"
    assert counts == {**NO_COUNTS, "processed": 1, "retried": 1}
    state = state_of(job_queue, slow)
    assert (state.state, state.attempts, state.error) == ("retrying", 1, "timed out after 0.2 s")
    assert [(r["outcome"], r["error"]) for r in state.history] == [
        ("failed", "timed out after 0.2 s")
    ]
    assert redis.zcard(keys.delayed("default")) == 1, "its retry is scheduled"
    assert state_of(job_queue, quick).state == "succeeded"


def test_a_handlers_own_time_limit_overrides_the_workers(
    make_worker: MakeWorker, job_queue: JobQueue
) -> None:
    # Given a handler with a 0.1 s limit of its own, on a worker allowing 30 s
    job_id = job_queue.dispatch("default", "slow", {})
    stubborn = StubbornWithItsOwnLimit()

    # When the worker runs its job
    make_worker({"slow": stubborn}, job_timeout=30.0).run(burst=True)

    # Then the handler's limit stopped it
    assert not stubborn.finished, "the job was stopped"
    assert state_of(job_queue, job_id).error == "timed out after 0.1 s"


def test_a_worker_off_the_main_thread_cannot_enforce_a_time_limit(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue
) -> None:
    # Signals reach only the main thread: the documented limit of a worker run in a thread.
    # Given a job working 0.3 s, and a worker in a thread with a limit of 0.05 s
    job_id = job_queue.dispatch("default", "slow", {})
    working = Working(0.3, lambda _: None)

    # When the worker runs it
    running = start_worker(make_worker({"slow": working}, job_timeout=0.05))
    wait_for(lambda: state_of(job_queue, job_id).is_final, "the job to end",
             give_up=exited(running))

    # Then the job ran to its end and succeeded
    assert working.finished, "the job ran to its end"
    assert state_of(job_queue, job_id).state == "succeeded"
