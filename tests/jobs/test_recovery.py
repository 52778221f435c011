"""A worker among others: its heartbeat and registration, losing Redis, waking for delayed
jobs, and many workers running each job exactly once."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis as redis_py

from jobs import JobQueue, Keys, WorkerRegistry
from tests.jobs.support import (
    NO_COUNTS,
    MakeWorker,
    Recorder,
    StartWorker,
    blocked_waiting,
    exited,
    state_of,
)
from tests.waiting import wait_for


def test_the_heartbeat_keeps_a_busy_workers_score_fresh(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job slower than twice the recovery timeout of 0.3 s, and another reaper
    job_id = job_queue.dispatch("default", "slow", {})
    scores: list[float] = []
    reaped: list[tuple[int, int]] = []
    reaper = WorkerRegistry(redis, keys, "reaper", max_recoveries=3)

    def score() -> float:
        return redis.zscore(keys.workers, "busy") or 0.0

    def slow(payload: dict[str, Any]) -> None:
        started = time.monotonic()
        for _ in range(3):
            scores.append(score())
            wait_for(lambda: score() > scores[-1], "the next heartbeat")
        # the job's slow work: longer than twice the recovery timeout
        wait_for(lambda: time.monotonic() - started > 2 * 0.3, "0.6 s of work")
        reaped.append(reaper.reap("busy", time.time() - 0.3))

    worker = make_worker({"slow": Recorder(slow)}, worker_id="busy", recovery_timeout=0.3)

    # When the worker runs it
    worker.run(burst=True)

    # Then its score rose while the handler ran, and the reaper could not take the job
    assert scores == sorted(scores) and len(set(scores)) == 3, "three beats, each later"
    assert reaped == [(0, 0)], "the reaper found the worker alive"
    state = state_of(job_queue, job_id)
    assert (state.state, state.recoveries) == ("succeeded", 0)


def test_a_worker_is_registered_while_it_runs_and_leaves_when_it_returns(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job that notes whether its worker is registered
    registered: list[float | None] = []
    job_queue.dispatch("default", "check", {})
    check = Recorder(lambda _: registered.append(redis.zscore(keys.workers, "w1")))

    # When a worker runs it
    make_worker({"check": check}, worker_id="w1").run(burst=True)

    # Then the worker was registered then, and is not now
    assert len(registered) == 1 and registered[0] is not None, "registered while it ran"
    assert redis.zcard(keys.workers) == 0, "no worker is registered after"
    assert redis.exists(keys.worker("w1")) == 0, "its description is gone"


def test_after_losing_redis_a_worker_gives_back_jobs_it_never_saw_and_runs_them(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job moved into a worker's list by a fetch whose answer was lost
    job_id = job_queue.dispatch("default", "send_email", {"order_id": 7})
    handler = Recorder()
    worker = make_worker({"send_email": handler})
    held = keys.processing("default", worker.worker_id)
    redis.lmove(keys.queue("default"), held, "LEFT", "RIGHT")
    worker.fetcher.lost_redis = True

    # When the worker goes on
    counts = worker.run(burst=True)

    # Then it gave the job back to its queue, took it again and ran it once
    assert handler.payloads == [{"order_id": 7}]
    assert counts == {**NO_COUNTS, "processed": 1}
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts, state.recoveries) == ("succeeded", 1, 1)
    assert redis.llen(keys.processing("default", worker.worker_id)) == 0, "the worker holds nothing"


def test_a_delayed_job_runs_on_its_own_queue_once_due(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue
) -> None:
    # Given a worker serving only the emails queue
    ran_at: list[float] = []
    running = start_worker(
        make_worker({"send_email": Recorder(lambda _: ran_at.append(time.time()))}), ["emails"]
    )

    # When an email is dispatched to run in 0.2 s
    job_id = job_queue.dispatch("emails", "send_email", {}, delay=0.2)
    due_at = state_of(job_queue, job_id, "emails").due_at
    assert due_at is not None
    wait_for(lambda: state_of(job_queue, job_id, "emails").state == "succeeded",
             "the email to be sent",
             give_up=exited(running))

    # Then it ran on emails, not before its time, and within a second of it
    assert len(ran_at) == 1, "it ran once"
    assert due_at <= ran_at[0] < due_at + 1.0


def test_an_idle_worker_wakes_when_a_delayed_job_falls_due(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue
) -> None:
    # Given a job due in 0.2 s, and a worker that blocks up to 1.5 s when idle
    job_id = job_queue.dispatch("default", "send_email", {}, delay=0.2)
    due_at = state_of(job_queue, job_id).due_at
    assert due_at is not None
    ran_at: list[float] = []
    handler = Recorder(lambda _: ran_at.append(time.time()))

    # When the worker starts
    running = start_worker(make_worker({"send_email": handler}, block_timeout=1.5))
    wait_for(lambda: state_of(job_queue, job_id).state == "succeeded", "the job to run",
             give_up=exited(running))

    # Then it woke for the due time rather than at the end of its block
    assert due_at <= ran_at[0] < due_at + 1.0


def test_a_blocked_worker_wakes_for_a_delayed_job_due_before_its_wait_ends(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue,
    redis: redis_py.Redis,
) -> None:
    # Given a worker blocked on an empty queue for up to 3 s
    ran_at: list[float] = []
    handler = Recorder(then=lambda payload: ran_at.append(time.time()))
    running = start_worker(make_worker({"remind": handler}, block_timeout=3.0))
    wait_for(lambda: blocked_waiting(redis), "the worker to block", give_up=exited(running))

    # When a job delayed by 0.3 s is dispatched
    due_at = time.time() + 0.3
    job_queue.dispatch("default", "remind", {}, delay=0.3)

    # Then it runs at its due time, not when the 3 s wait ends (a generous bound)
    wait_for(lambda: bool(ran_at), "the job to run", seconds=5.0, give_up=exited(running))
    assert due_at <= ran_at[0] < due_at + 1.0


def test_queue_lists_hold_only_jobs_while_delayed_jobs_wake_a_blocked_worker(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue,
    redis: redis_py.Redis, keys: Keys,
) -> None:
    # Given a worker on three queues, blocked for up to 3 s
    queues = ["payments", "emails", "reports"]
    handler = Recorder()
    running = start_worker(make_worker({"remind": handler}, block_timeout=3.0), queues)
    wait_for(lambda: blocked_waiting(redis), "the worker to block", give_up=exited(running))

    # When jobs delayed by 0.3 to 0.6 s are dispatched onto each queue, sooner each time
    job_ids = [job_queue.dispatch(queue, "remind", {"n": n}, delay=0.6 - 0.1 * n)
               for n, queue in enumerate(queues)]

    # Then no queue list holds anything until they fall due: no wake-up entries in them
    assert [redis.llen(keys.queue(queue)) for queue in queues] == [0, 0, 0]
    assert [redis.lrange(keys.queue(queue), 0, -1) for queue in queues] == [[], [], []]
    # and the worker runs every one before its 3 s wait would have ended
    wait_for(lambda: len(handler.payloads) == 3, "the three jobs to run", seconds=2.5,
             give_up=exited(running))
    states = job_queue.states(list(zip(queues, job_ids, strict=True)))
    assert [state.state for state in states if state] == ["succeeded"] * 3


def test_two_workers_run_each_of_2000_jobs_exactly_once(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given 2,000 jobs and two workers
    handler = Recorder()
    job_queue.dispatch_many("default", "record", [{"n": n} for n in range(2000)])
    workers = [make_worker({"record": handler}) for _ in range(2)]

    # When both drain the queue at once
    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda worker: worker.run(burst=True), workers))

    # Then each job ran exactly once, and neither worker holds anything
    assert Counter(payload["n"] for payload in handler.payloads) == Counter(range(2000))
    assert sum(count["processed"] for count in counts) == 2000
    held = [redis.llen(keys.processing("default", worker.worker_id)) for worker in workers]
    assert held == [0, 0]
    assert redis.llen(keys.queue("default")) == 0, "the queue is empty"
