"""Worker: runs jobs, retries with backoff, fails for good, stops cleanly; on a real Redis."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import redis as redis_py

from jobs import JobQueue, JobState, Worker
from tests.jobs.support import Failing, Recorder, WaitFor, list_ids

MakeWorker = Callable[..., Worker]
StartWorker = Callable[..., Future[dict[str, int]]]
NO_COUNTS = {"processed": 0, "retried": 0, "failed": 0}


def state_of(job_queue: JobQueue, job_id: str) -> JobState:
    (state,) = job_queue.states([job_id])
    assert state is not None
    return state


def states_of(job_queue: JobQueue, job_ids: list[str]) -> list[JobState]:
    states = job_queue.states(job_ids)
    assert None not in states
    return [state for state in states if state]


def processing(prefix: str, worker: Worker) -> str:
    return f"{prefix}processing:{worker.worker_id}"


def test_a_job_runs_once_and_is_recorded_as_succeeded(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job on the default queue
    handler = Recorder()
    job_id = job_queue.dispatch("default", "send_email", {"order_id": 7})
    worker = make_worker({"send_email": handler}, worker_id="w1")

    # When a worker drains the queue
    counts = worker.run(burst=True)

    # Then its handler ran once with the payload, and the job is done
    assert handler.payloads == [{"order_id": 7}]
    assert counts == {**NO_COUNTS, "processed": 1}
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts, state.error) == ("succeeded", 1, None)
    assert state.started_at is not None and state.finished_at is not None
    assert state.started_at <= state.finished_at
    assert redis.llen(f"{prefix}processing:w1") == 0
    assert redis.llen(f"{prefix}default") == 0


def test_each_retry_keeps_the_attempt_count_and_waits_its_backoff(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job whose handler always fails, and a retry base of 10 s
    worker = make_worker({"pay": Failing("declined")}, retry_base=10.0, max_attempts=3)
    job_id = job_queue.dispatch("default", "pay", {})
    delayed = f"{prefix}delayed"

    for attempt in (1, 2):
        # When an attempt fails
        worker.run(burst=True)

        # Then the next waits 2**attempt * 10 s, and the count is kept (the lesson reset it)
        ((raw, due_at),) = redis.zrange(delayed, 0, -1, withscores=True)
        state = state_of(job_queue, job_id)
        assert (state.state, state.attempts) == ("retrying", attempt)
        assert json.loads(raw)["attempts"] == attempt
        assert state.finished_at is not None and state.due_at == due_at
        assert due_at - state.finished_at == pytest.approx(2**attempt * 10.0)
        redis.zadd(delayed, {raw: 0}, xx=True)  # make the retry due now rather than wait

    # When the last attempt fails
    worker.run(burst=True)

    # Then the job fails for good
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("failed", 3)
    assert redis.zcard(delayed) == 0


def test_a_failing_job_is_retried_until_max_attempts_then_failed(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue, wait_for: WaitFor
) -> None:
    # Given a job whose handler always fails, retried after 0.02 s, then 0.04 s
    handler = Failing("declined")
    job_id = job_queue.dispatch("default", "pay", {"order_id": 7})

    # When a worker runs
    start_worker(make_worker({"pay": handler}, max_attempts=3))
    wait_for(lambda: state_of(job_queue, job_id).is_final)

    # Then it ran three times, and the failed list has the job with its error
    assert len(handler.payloads) == 3
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts, state.error) == ("failed", 3, "RuntimeError: declined")
    (entry,) = job_queue.failed()
    assert entry.pop("failed_at") == state.finished_at
    assert isinstance(entry.pop("created_at"), float)
    assert entry == {
        "id": job_id,
        "handler": "pay",
        "payload": {"order_id": 7},
        "queue": "default",
        "attempts": 3,
        "error": "RuntimeError: declined",
    }


def test_an_unknown_handler_fails_at_once(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    job_id = job_queue.dispatch("default", "no_such_handler", {})

    counts = make_worker({"send_email": Recorder()}).run(burst=True)

    assert counts == {**NO_COUNTS, "failed": 1}
    (entry,) = job_queue.failed()
    assert (entry["id"], entry["attempts"]) == (job_id, 1)
    assert entry["error"] == "Unknown handler: no_such_handler"
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("failed", 1)
    assert state.error == "Unknown handler: no_such_handler"
    assert redis.zcard(f"{prefix}delayed") == 0


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("not json", "not JSON", id="not-json"),
        pytest.param('{"id": "x", "payload": {}}', "field 'handler' missing", id="no-handler"),
        pytest.param(
            '{"id": "x", "handler": "h", "queue": "default", "payload": {}, "attempts": "x"}',
            "field 'attempts'",
            id="attempts-not-a-number",
        ),
    ],
)
def test_a_malformed_message_goes_to_failed_and_the_worker_goes_on(
    make_worker: MakeWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    prefix: str,
    raw: str,
    reason: str,
) -> None:
    # Given bad data pushed straight onto the queue, then a valid job
    redis.rpush(f"{prefix}default", raw)
    job_id = job_queue.dispatch("default", "send_email", {})
    handler = Recorder()
    worker = make_worker({"send_email": handler})

    # When a worker drains the queue
    worker.run(burst=True)

    # Then the data is in the failed list as it came, with the reason, and the job ran
    (entry,) = job_queue.failed()
    assert entry["raw"] == raw
    assert entry["error"].startswith("Malformed job: ") and reason in entry["error"]
    assert isinstance(entry["failed_at"], float)
    assert handler.payloads == [{}]
    assert state_of(job_queue, job_id).state == "succeeded"
    assert redis.llen(processing(prefix, worker)) == 0


def test_data_that_is_not_utf8_goes_to_failed_and_the_worker_goes_on(
    make_worker: MakeWorker, job_queue: JobQueue, redis_url: str, prefix: str
) -> None:
    with redis_py.Redis.from_url(redis_url) as bytes_redis:
        bytes_redis.rpush(f"{prefix}default", b"\xff\xfe")
    job_id = job_queue.dispatch("default", "send_email", {})

    make_worker({"send_email": Recorder()}).run(burst=True)

    (entry,) = job_queue.failed()
    assert entry["raw"] == "\udcff\udcfe"  # the bytes, kept as surrogateescape keeps them
    assert entry["error"].startswith("Malformed job")
    assert state_of(job_queue, job_id).state == "succeeded"


def test_queues_are_served_in_the_order_given(make_worker: MakeWorker, job_queue: JobQueue) -> None:
    # Given jobs on two queues, the low ones queued first
    handler = Recorder()
    for queue in ["low"] * 3 + ["high"] * 3:
        job_queue.dispatch(queue, "record", {"queue": queue})

    # When a worker serving high, then low, drains them
    make_worker({"record": handler}).run(["high", "low"], burst=True)

    # Then every high job ran before any low one
    assert [payload["queue"] for payload in handler.payloads] == ["high"] * 3 + ["low"] * 3


def test_burst_returns_when_nothing_is_due(make_worker: MakeWorker, job_queue: JobQueue) -> None:
    handler = Recorder()
    job_id = job_queue.dispatch("default", "record", {}, delay=60)

    counts = make_worker({"record": handler}).run(burst=True)

    assert counts == NO_COUNTS
    assert handler.payloads == []
    assert state_of(job_queue, job_id).state == "delayed"


def test_a_delayed_job_runs_on_its_own_queue_once_due(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue, wait_for: WaitFor
) -> None:
    # Given a worker serving only the emails queue
    ran_at: list[float] = []
    start_worker(
        make_worker({"send_email": Recorder(lambda _: ran_at.append(time.time()))}), ["emails"]
    )

    # When an email is dispatched to run in 0.2 s
    job_id = job_queue.dispatch("emails", "send_email", {}, delay=0.2)
    due_at = state_of(job_queue, job_id).due_at
    assert due_at is not None
    wait_for(lambda: state_of(job_queue, job_id).state == "succeeded")

    # Then it ran on emails, not before its time, and within a second of it
    assert len(ran_at) == 1
    assert due_at <= ran_at[0] < due_at + 1.0


def test_an_idle_worker_wakes_when_a_delayed_job_falls_due(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue, wait_for: WaitFor
) -> None:
    # Given a job due in 0.2 s, and a worker that blocks up to 1.5 s when idle
    job_id = job_queue.dispatch("default", "send_email", {}, delay=0.2)
    due_at = state_of(job_queue, job_id).due_at
    assert due_at is not None
    ran_at: list[float] = []
    handler = Recorder(lambda _: ran_at.append(time.time()))

    # When the worker starts
    start_worker(make_worker({"send_email": handler}, block_timeout=1.5))
    wait_for(lambda: state_of(job_queue, job_id).state == "succeeded")

    # Then it woke for the due time rather than at the end of its block
    assert due_at <= ran_at[0] < due_at + 1.0


def test_stop_lets_the_running_job_finish_and_takes_no_more(
    make_worker: MakeWorker,
    start_worker: StartWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    prefix: str,
) -> None:
    # Given a worker thread running a job that waits to be released
    running, release = threading.Event(), threading.Event()
    worker = make_worker({"slow": Recorder(lambda _: (running.set(), release.wait(5)))})
    first = job_queue.dispatch("default", "slow", {})
    second = job_queue.dispatch("default", "slow", {})
    finished = start_worker(worker)
    assert running.wait(5)

    # When it is told to stop during the job, and the job then ends
    worker.stop()
    release.set()

    # Then run() returns, the job is recorded as done, and the next was not taken
    assert finished.result(timeout=5) == {**NO_COUNTS, "processed": 1}
    assert [(s.state, s.attempts) for s in states_of(job_queue, [first, second])] == [
        ("succeeded", 1),
        ("queued", 0),
    ]
    assert redis.llen(processing(prefix, worker)) == 0


@pytest.fixture
def stopped_mid_batch(make_worker: MakeWorker, job_queue: JobQueue) -> tuple[list[str], Worker]:
    """31 fast jobs; a burst worker takes 1, then a batch of 20, and is stopped in the 5th."""
    ids = [job_queue.dispatch("default", "record", {"n": n}) for n in range(31)]

    def stop_at_the_fifth(payload: dict[str, Any]) -> None:
        if payload["n"] == 4:
            worker.stop()

    # prefetch_seconds=1: fast jobs make a batch of max_batch however slow the machine is.
    worker = make_worker(
        {"record": Recorder(stop_at_the_fifth)}, max_batch=20, prefetch_seconds=1.0
    )
    worker.run(burst=True)
    return ids, worker


def test_stopping_gives_the_unstarted_jobs_of_a_batch_back_uncounted(
    stopped_mid_batch: tuple[list[str], Worker],
    job_queue: JobQueue,
    redis: redis_py.Redis,
    prefix: str,
) -> None:
    # Given a worker stopped during the 5th job, with 16 more of its batch of 20 not started
    ids, worker = stopped_mid_batch
    given_back, never_taken = ids[5:21], ids[21:]

    # When we look at the queue
    queued = list_ids(redis, f"{prefix}default")

    # Then they are back at its front, queued, with no attempt used up
    assert worker.counts == {**NO_COUNTS, "processed": 5}
    assert set(queued[:16]) == set(given_back)  # at the front of the queue
    assert queued[16:] == never_taken
    assert {(s.state, s.attempts) for s in states_of(job_queue, given_back)} == {("queued", 0)}
    assert redis.llen(processing(prefix, worker)) == 0


def test_stopping_gives_the_unstarted_jobs_back_in_their_order(
    stopped_mid_batch: tuple[list[str], Worker], redis: redis_py.Redis, prefix: str
) -> None:
    ids, _ = stopped_mid_batch  # stopped during the 5th job

    assert list_ids(redis, f"{prefix}default") == ids[5:]


def test_sigterm_during_a_job_finishes_it_and_returns(
    make_worker: MakeWorker, job_queue: JobQueue
) -> None:
    # Given a job handler that sends this process SIGTERM (with a signal handler of the
    # test's own in place, so a worker that installs none fails the test, not the run)
    ids = [job_queue.dispatch("default", "terminate", {}) for _ in range(3)]
    worker = make_worker({"terminate": Recorder(lambda _: os.kill(os.getpid(), signal.SIGTERM))})
    received: list[int] = []

    def ours(signum: int, frame: object) -> None:
        received.append(signum)

    previous = signal.signal(signal.SIGTERM, ours)
    try:
        # When the worker runs in the main thread
        counts = worker.run(burst=True)

        # Then the worker's handler took the signal, and gave ours back on return
        assert received == []
        assert signal.getsignal(signal.SIGTERM) is ours
    finally:
        signal.signal(signal.SIGTERM, previous)
    # And the job finished, and no other was started
    assert counts == {**NO_COUNTS, "processed": 1}
    assert [s.state for s in states_of(job_queue, ids)] == ["succeeded", "queued", "queued"]


def test_fast_jobs_are_taken_in_batches(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given fast jobs that note how many jobs their worker holds
    held: list[int] = []
    worker = make_worker({"fast": Recorder(lambda _: held.append(redis.llen(key)))})
    key = processing(prefix, worker)
    for _ in range(50):
        job_queue.dispatch("default", "fast", {})

    # When a worker drains them
    worker.run(burst=True)

    # Then it held more than one at a time
    assert len(held) == 50
    assert max(held) > 1


def test_slow_jobs_are_taken_one_at_a_time(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given jobs slower than the worker's prefetch time, that note how many jobs it holds
    held: list[int] = []

    def slow(payload: dict[str, Any]) -> None:
        held.append(redis.llen(key))
        time.sleep(0.03)  # the job's slow work, not a wait for anything

    worker = make_worker({"slow": Recorder(slow)}, prefetch_seconds=0.02)
    key = processing(prefix, worker)
    for _ in range(4):
        job_queue.dispatch("default", "slow", {})

    # When a worker drains them
    worker.run(burst=True)

    # Then it held one at a time, leaving the rest for other workers
    assert held == [1, 1, 1, 1]


def test_two_workers_run_each_of_2000_jobs_exactly_once(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given 2,000 jobs and two workers
    handler = Recorder()
    for n in range(2000):
        job_queue.dispatch("default", "record", {"n": n})
    workers = [make_worker({"record": handler}) for _ in range(2)]

    # When both drain the queue at once
    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda worker: worker.run(burst=True), workers))

    # Then each job ran exactly once, and neither worker holds anything
    assert Counter(payload["n"] for payload in handler.payloads) == Counter(range(2000))
    assert sum(count["processed"] for count in counts) == 2000
    assert [redis.llen(processing(prefix, worker)) for worker in workers] == [0, 0]
    assert redis.llen(f"{prefix}default") == 0


def test_log_lines_name_the_job_and_its_handler(
    make_worker: MakeWorker, job_queue: JobQueue, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jobs.worker")
    ok = job_queue.dispatch("default", "send_email", {})
    bad = job_queue.dispatch("default", "pay", {})

    make_worker({"send_email": Recorder(), "pay": Failing("card declined")}).run(burst=True)

    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "Worker started on queue: default"
    assert any(
        m.startswith(f"[OK] Job {ok} processed") and "handler send_email" in m for m in messages
    )
    (error,) = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert error.startswith(f"[ERROR] Job {bad}: RuntimeError: card declined")
    assert "handler pay" in error
    assert messages[-1].endswith("stopped: 1 processed, 1 retried, 0 failed")


def test_max_attempts_below_one_is_refused(redis: redis_py.Redis) -> None:
    with pytest.raises(ValueError, match="max_attempts must be at least 1"):
        Worker(redis, {}, max_attempts=0)


@pytest.mark.parametrize(
    ("queue", "message"), [([], "at least one queue"), ("bad name", "Invalid queue name")]
)
def test_run_refuses_bad_queues(make_worker: MakeWorker, queue: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_worker({}).run(queue, burst=True)
