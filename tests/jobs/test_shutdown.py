"""Stopping a worker: stop(), SIGTERM and SIGINT, a second signal, unstarted jobs given back.

The signal tests run the worker in the test's (main) thread, where it handles signals, as
it does in its own process.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis as redis_py

from jobs import JobQueue, Keys, Worker, connect
from tests.jobs.support import (
    NO_COUNTS,
    MakeWorker,
    Recorder,
    StartWorker,
    Stubborn,
    Working,
    list_ids,
    state_of,
    states_of,
)
from tests.waiting import wait_for

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGALRM)


@pytest.fixture
def our_signal_handlers() -> Iterator[list[int]]:
    """Handlers of the test's own for SIGTERM and SIGINT (so a worker that installs none
    fails the test rather than killing the run); yields the signals they received."""
    received: list[int] = []

    def ours(signum: int, frame: object) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, ours) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def terminate(times: int = 1, signum: int = signal.SIGTERM) -> Callable[[dict[str, Any]], None]:
    """A handler step that sends this process signum, times times."""

    def send(payload: dict[str, Any]) -> None:
        for _ in range(times):
            os.kill(os.getpid(), signum)

    return send


def test_stop_lets_the_running_job_finish_and_takes_no_more(
    make_worker: MakeWorker,
    start_worker: StartWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    keys: Keys,
) -> None:
    # Given a worker thread running a job that waits to be released
    running, release = threading.Event(), threading.Event()
    worker = make_worker({"slow": Recorder(lambda _: (running.set(), release.wait(5)))})
    first = job_queue.dispatch("default", "slow", {})
    second = job_queue.dispatch("default", "slow", {})
    finished = start_worker(worker)
    assert running.wait(5), "the first job started"

    # When it is told to stop during the job, and the job then ends
    worker.stop()
    release.set()

    # Then run() returns, the job is recorded as done, and the next was not taken
    assert finished.result(timeout=5) == {**NO_COUNTS, "processed": 1}
    assert [(s.state, s.attempts) for s in states_of(job_queue, [first, second])] == [
        ("succeeded", 1),
        ("queued", 0),
    ]
    assert redis.llen(keys.processing("default", worker.worker_id)) == 0, "the worker holds nothing"


@pytest.fixture
def stopped_mid_batch(make_worker: MakeWorker, job_queue: JobQueue) -> tuple[list[str], Worker]:
    """31 fast jobs; a burst worker takes 1, then a batch of 20, and is stopped in the 5th."""
    ids = [job_queue.dispatch("default", "record", {"n": n}) for n in range(31)]

    def stop_at_the_fifth(payload: dict[str, Any]) -> None:
        if payload["n"] == 4:
            worker.stop()

    # prefetch_seconds=1: fast jobs make a batch of max_prefetch however slow the machine is.
    worker = make_worker(
        {"record": Recorder(stop_at_the_fifth)}, max_prefetch=20, prefetch_seconds=1.0
    )
    worker.run(burst=True)
    return ids, worker


def test_stopping_gives_the_unstarted_jobs_of_a_batch_back_uncounted(
    stopped_mid_batch: tuple[list[str], Worker],
    job_queue: JobQueue,
    redis: redis_py.Redis,
    keys: Keys,
) -> None:
    # Given a worker stopped during the 5th job, with 16 more of its batch of 20 not started
    ids, worker = stopped_mid_batch
    given_back, never_taken = ids[5:21], ids[21:]

    # When we look at the queue
    queued = list_ids(redis, keys.queue("default"))

    # Then they are back at its front, queued, with no attempt used up
    assert worker.counts == {**NO_COUNTS, "processed": 5}
    assert set(queued[:16]) == set(given_back), "the unstarted jobs are at the front"
    assert queued[16:] == never_taken
    assert {(s.state, s.attempts) for s in states_of(job_queue, given_back)} == {("queued", 0)}
    assert redis.llen(keys.processing("default", worker.worker_id)) == 0, "the worker holds nothing"


def test_stopping_gives_the_unstarted_jobs_back_in_their_order(
    stopped_mid_batch: tuple[list[str], Worker], redis: redis_py.Redis, keys: Keys
) -> None:
    ids, _ = stopped_mid_batch  # stopped during the 5th job

    assert list_ids(redis, keys.queue("default")) == ids[5:]


def test_sigterm_during_a_job_finishes_it_and_returns(
    make_worker: MakeWorker, job_queue: JobQueue, our_signal_handlers: list[int]
) -> None:
    # Given jobs whose handler sends this process SIGTERM
    ids = [job_queue.dispatch("default", "terminate", {}) for _ in range(3)]
    worker = make_worker({"terminate": Recorder(terminate())})
    ours = signal.getsignal(signal.SIGTERM)

    # When the worker runs in the main thread
    counts = worker.run(burst=True)

    # Then the worker's handler took the signal, and gave ours back on return
    assert our_signal_handlers == [], "our handler received nothing"
    assert signal.getsignal(signal.SIGTERM) is ours, "ours is back in place"
    # And the job finished, and no other was started
    assert counts == {**NO_COUNTS, "processed": 1}
    assert [s.state for s in states_of(job_queue, ids)] == ["succeeded", "queued", "queued"]


def test_sigterm_lets_the_running_job_finish_within_the_shutdown_timeout(
    make_worker: MakeWorker, job_queue: JobQueue, our_signal_handlers: list[int]
) -> None:
    # Given a job that gets SIGTERM, then works 1 s, and a job behind it
    ids = [job_queue.dispatch("default", "work", {}) for _ in range(2)]
    working = Working(1.0, terminate())

    # When a worker allowing 5 s to finish runs
    counts = make_worker({"work": working}, shutdown_timeout=5.0).run(burst=True)

    # Then the job finished and was acknowledged, and the next was not taken
    assert working.finished, "the job ran to its end"
    assert our_signal_handlers == [], "our handler received nothing"
    assert counts == {**NO_COUNTS, "processed": 1}
    assert [s.state for s in states_of(job_queue, ids)] == ["succeeded", "queued"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_job_still_running_at_the_shutdown_timeout_goes_back_to_the_front(
    make_worker: MakeWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    keys: Keys,
    our_signal_handlers: list[int],
    signum: int,
) -> None:
    # Given a job that gets the signal, then would work 10 s, and a job behind it
    ids = [job_queue.dispatch("default", "work", {}) for _ in range(2)]
    stubborn = Stubborn(terminate(signum=signum))
    worker = make_worker({"work": stubborn}, shutdown_timeout=0.1)

    # When a worker allowing 0.1 s to finish runs
    counts = worker.run(burst=True)

    # Then the job was stopped and is first on its queue again, its attempt given back
    assert not stubborn.finished, "the job was stopped"
    assert counts == NO_COUNTS
    assert list_ids(redis, keys.queue("default")) == ids
    assert [(s.state, s.attempts) for s in states_of(job_queue, ids)] == [("queued", 0)] * 2
    assert redis.llen(keys.processing("default", worker.worker_id)) == 0, "the worker holds nothing"


def test_a_second_sigterm_stops_the_running_job_at_once(
    make_worker: MakeWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    keys: Keys,
    our_signal_handlers: list[int],
) -> None:
    # Given a job that gets SIGTERM twice, then would work 10 s
    job_id = job_queue.dispatch("default", "work", {})
    stubborn = Stubborn(terminate(times=2))

    # When a worker allowing 30 s to finish runs
    counts = make_worker({"work": stubborn}, shutdown_timeout=30.0).run(burst=True)

    # Then the second signal stopped the job (well before 10 s), which is queued again
    assert not stubborn.finished, "the job was stopped"
    assert counts == NO_COUNTS
    assert list_ids(redis, keys.queue("default")) == [job_id]
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("queued", 0)


def test_run_gives_back_the_signal_handlers_it_found(
    make_worker: MakeWorker, job_queue: JobQueue, our_signal_handlers: list[int]
) -> None:
    # Given signal handlers of the test's own
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    job_queue.dispatch("default", "work", {})
    seen: dict[int, object] = {}
    worker = make_worker(
        {"work": Recorder(lambda _: seen.update({sig: signal.getsignal(sig) for sig in before}))},
        job_timeout=5.0,
    )

    # When a worker runs a job
    worker.run(burst=True)

    # Then its own handlers were in place while the job ran, and ours are back after
    assert all(seen[sig] is not before[sig] for sig in before), "the worker's, while it ran"
    assert {sig: signal.getsignal(sig) for sig in before} == before, "ours, after"


def test_run_gives_back_the_signal_handlers_when_stopped_while_redis_is_unreachable(
    our_signal_handlers: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a worker whose Redis does not answer: it waits for Redis rather than exit
    caplog.set_level(logging.WARNING, logger="jobs")
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    unreachable = connect("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    worker = Worker(unreachable, {})

    def stop_once_waiting() -> None:
        wait_for(lambda: "Redis unreachable" in caplog.text, "the worker to wait for Redis")
        worker.stop()

    stopper = threading.Thread(target=stop_once_waiting)
    stopper.start()
    try:
        # When it runs, and is stopped while it waits, then it returns, and leaves the
        # signal handlers as it found them
        assert worker.run(burst=True) == NO_COUNTS
        assert {sig: signal.getsignal(sig) for sig in before} == before
    finally:
        stopper.join(timeout=15)
        for sig, handler in before.items():
            signal.signal(sig, handler)
        unreachable.close()
