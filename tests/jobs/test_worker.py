"""Worker: runs jobs, retries with backoff, fails for good, stops cleanly; on a real Redis."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import redis as redis_py

from jobs import JobQueue, JobState, QueueClient, RetryPolicy, Worker, connect
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


# Attempt history, per-handler policies, abandoned jobs.


def make_due(redis: redis_py.Redis, prefix: str) -> None:
    """Make every delayed job due now, rather than wait for its backoff."""
    delayed = f"{prefix}delayed"
    for raw in redis.zrange(delayed, 0, -1):
        redis.zadd(delayed, {raw: 0}, xx=True)


class Flaky(Recorder):
    """A handler that fails its first `failures` calls, then succeeds."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def handle(self, payload: dict[str, Any]) -> None:
        super().handle(payload)
        if len(self.payloads) <= self.failures:
            raise RuntimeError(f"try {len(self.payloads)}")


def test_each_attempt_is_recorded_in_the_jobs_history(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job that fails twice, then succeeds
    job_id = job_queue.dispatch("default", "pay", {})
    worker = make_worker({"pay": Flaky(failures=2)}, worker_id="w1", max_attempts=3)

    # When a worker runs each of its attempts
    for _ in range(3):
        worker.run(burst=True)
        make_due(redis, prefix)

    # Then the job succeeded on its third attempt, and each attempt has its record
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("succeeded", 3)
    assert [(r["attempt"], r["outcome"], r["error"], r["worker"]) for r in state.history] == [
        (1, "failed", "RuntimeError: try 1", "w1"),
        (2, "failed", "RuntimeError: try 2", "w1"),
        (3, "succeeded", None, "w1"),
    ]
    times = [t for r in state.history for t in (r["started_at"], r["finished_at"])]
    assert times == sorted(times)  # each attempt started after the one before it ended
    assert state.history[-1]["finished_at"] == state.finished_at


class Declining(Recorder):
    """A handler whose ValueError (a declined card, say) retrying cannot help."""

    give_up_on = (ValueError,)

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def handle(self, payload: dict[str, Any]) -> None:
        super().handle(payload)
        raise self.error


def test_an_error_the_handler_gives_up_on_fails_the_job_at_once(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    job_id = job_queue.dispatch("default", "pay", {})
    handler = Declining(ValueError("card declined"))

    counts = make_worker({"pay": handler}, max_attempts=3).run(burst=True)

    assert counts == {**NO_COUNTS, "failed": 1}
    assert len(handler.payloads) == 1
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts, state.error) == ("failed", 1, "ValueError: card declined")
    assert redis.zcard(f"{prefix}delayed") == 0
    assert [entry["id"] for entry in job_queue.failed()] == [job_id]


def test_an_error_the_handler_does_not_give_up_on_is_retried(
    make_worker: MakeWorker, job_queue: JobQueue
) -> None:
    job_id = job_queue.dispatch("default", "pay", {})

    counts = make_worker({"pay": Declining(RuntimeError("timeout"))}).run(burst=True)

    assert counts == {**NO_COUNTS, "retried": 1}
    assert state_of(job_queue, job_id).state == "retrying"


class WithPolicy(Failing):
    """A failing handler with a retry policy of its own."""

    def __init__(self, policy: RetryPolicy) -> None:
        super().__init__("declined")
        self.retry_policy = policy


def test_a_handlers_own_retry_policy_overrides_the_workers(
    make_worker: MakeWorker, job_queue: JobQueue
) -> None:
    # Given a worker allowing 5 attempts, and a handler allowing 1
    job_id = job_queue.dispatch("default", "pay", {})
    handler = WithPolicy(RetryPolicy(max_attempts=1))

    # When its job fails
    counts = make_worker({"pay": handler}, max_attempts=5).run(burst=True)

    # Then it fails for good after the one attempt
    assert counts == {**NO_COUNTS, "failed": 1}
    assert (state_of(job_queue, job_id).state, len(handler.payloads)) == ("failed", 1)


def test_a_handlers_own_backoff_sets_the_retry_delay(
    make_worker: MakeWorker, job_queue: JobQueue
) -> None:
    job_id = job_queue.dispatch("default", "pay", {})
    policy = RetryPolicy(max_attempts=2, base_seconds=100.0, jitter=0.0)

    make_worker({"pay": WithPolicy(policy)}, max_attempts=1).run(burst=True)

    state = state_of(job_queue, job_id)
    assert state.state == "retrying"
    assert state.due_at is not None and state.finished_at is not None
    assert state.due_at - state.finished_at == pytest.approx(200.0)


def test_a_job_taken_more_often_than_its_policy_allows_fails_as_abandoned(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job whose 3 attempts were all taken and never finished (each killed its worker)
    job_id = job_queue.dispatch("default", "crash", {})
    redis.hset(f"{prefix}job:{job_id}", "attempts", 3)
    handler = Recorder()

    # When a worker allowing 3 attempts takes it a fourth time
    counts = make_worker({"crash": handler}, max_attempts=3).run(burst=True)

    # Then it fails for good without its handler running
    assert handler.payloads == []
    assert counts == {**NO_COUNTS, "failed": 1}
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("failed", 4)
    assert state.error == "abandoned: attempt 3 never finished"
    assert [(r["attempt"], r["outcome"]) for r in state.history] == [(4, "failed")]
    (entry,) = job_queue.failed()
    assert (entry["id"], entry["error"]) == (job_id, "abandoned: attempt 3 never finished")


# Time limits and shutdown: these run the worker in the test's (main) thread, where the
# worker handles signals, as it does in its own process.


class Stubborn(Recorder):
    """A CPU-bound handler that runs until an event no one sets (10 s at most), after then()."""

    def __init__(self, then: Callable[[dict[str, Any]], None] | None = None) -> None:
        super().__init__(then)
        self.never = threading.Event()
        self.finished = False

    def handle(self, payload: dict[str, Any]) -> None:
        super().handle(payload)
        guard = time.monotonic() + 10.0
        while not self.never.is_set() and time.monotonic() < guard:
            pass  # busy work: only a signal can interrupt it
        self.finished = True


class Working(Recorder):
    """A CPU-bound handler that works for `seconds`, after then()."""

    def __init__(self, seconds: float, then: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(then)
        self.seconds = seconds
        self.finished = False

    def handle(self, payload: dict[str, Any]) -> None:
        super().handle(payload)
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline:
            pass  # the job's slow work
        self.finished = True


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


def test_a_job_past_its_time_limit_is_stopped_and_retried(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job that would run 10 s, and a quick one behind it
    slow = job_queue.dispatch("default", "slow", {})
    quick = job_queue.dispatch("default", "quick", {})
    stubborn = Stubborn()
    worker = make_worker({"slow": stubborn, "quick": Recorder()}, job_timeout=0.2)

    # When a worker with a 0.2 s limit per job runs them
    counts = worker.run(burst=True)

    # Then the slow job was stopped, its attempt failed and is to be retried; the quick ran
    assert not stubborn.finished
    assert counts == {**NO_COUNTS, "processed": 1, "retried": 1}
    state = state_of(job_queue, slow)
    assert (state.state, state.attempts, state.error) == ("retrying", 1, "timed out after 0.2 s")
    assert [(r["outcome"], r["error"]) for r in state.history] == [
        ("failed", "timed out after 0.2 s")
    ]
    assert redis.zcard(f"{prefix}delayed") == 1
    assert state_of(job_queue, quick).state == "succeeded"


class StubbornWithItsOwnLimit(Stubborn):
    timeout_seconds = 0.1


def test_a_handlers_own_time_limit_overrides_the_workers(
    make_worker: MakeWorker, job_queue: JobQueue
) -> None:
    job_id = job_queue.dispatch("default", "slow", {})
    stubborn = StubbornWithItsOwnLimit()

    make_worker({"slow": stubborn}, job_timeout=30.0).run(burst=True)

    assert not stubborn.finished
    assert state_of(job_queue, job_id).error == "timed out after 0.1 s"


def test_a_worker_off_the_main_thread_cannot_enforce_a_time_limit(
    make_worker: MakeWorker, start_worker: StartWorker, job_queue: JobQueue, wait_for: WaitFor
) -> None:
    # Signals reach only the main thread: the documented limit of a worker run in a thread.
    job_id = job_queue.dispatch("default", "slow", {})
    working = Working(0.3, lambda _: None)

    start_worker(make_worker({"slow": working}, job_timeout=0.05))
    wait_for(lambda: state_of(job_queue, job_id).is_final)

    assert working.finished
    assert state_of(job_queue, job_id).state == "succeeded"


def test_sigterm_lets_the_running_job_finish_within_the_shutdown_timeout(
    make_worker: MakeWorker, job_queue: JobQueue, our_signal_handlers: list[int]
) -> None:
    # Given a job that gets SIGTERM, then works 1 s, and a job behind it
    ids = [job_queue.dispatch("default", "work", {}) for _ in range(2)]
    working = Working(1.0, terminate())

    # When a worker allowing 5 s to finish runs
    counts = make_worker({"work": working}, shutdown_timeout=5.0).run(burst=True)

    # Then the job finished and was acknowledged, and the next was not taken
    assert working.finished
    assert our_signal_handlers == []
    assert counts == {**NO_COUNTS, "processed": 1}
    assert [s.state for s in states_of(job_queue, ids)] == ["succeeded", "queued"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_job_still_running_at_the_shutdown_timeout_goes_back_to_the_front(
    make_worker: MakeWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    prefix: str,
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
    assert not stubborn.finished
    assert counts == NO_COUNTS
    assert list_ids(redis, f"{prefix}default") == ids
    assert [(s.state, s.attempts) for s in states_of(job_queue, ids)] == [("queued", 0)] * 2
    assert redis.llen(processing(prefix, worker)) == 0


def test_a_second_sigterm_stops_the_running_job_at_once(
    make_worker: MakeWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    prefix: str,
    our_signal_handlers: list[int],
) -> None:
    # Given a job that gets SIGTERM twice, then would work 10 s
    job_id = job_queue.dispatch("default", "work", {})
    stubborn = Stubborn(terminate(times=2))

    # When a worker allowing 30 s to finish runs
    counts = make_worker({"work": stubborn}, shutdown_timeout=30.0).run(burst=True)

    # Then the second signal stopped the job (well before 10 s), which is queued again
    assert not stubborn.finished
    assert counts == NO_COUNTS
    assert list_ids(redis, f"{prefix}default") == [job_id]
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("queued", 0)


def test_run_gives_back_the_signal_handlers_it_found(
    make_worker: MakeWorker, job_queue: JobQueue, our_signal_handlers: list[int]
) -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM)}
    job_queue.dispatch("default", "work", {})
    seen: dict[int, object] = {}
    worker = make_worker(
        {"work": Recorder(lambda _: seen.update({sig: signal.getsignal(sig) for sig in before}))},
        job_timeout=5.0,
    )

    worker.run(burst=True)

    assert all(seen[sig] is not before[sig] for sig in before)  # the worker's, while it ran
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_run_gives_back_the_signal_handlers_when_redis_is_unreachable(
    our_signal_handlers: list[int],
) -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM)}
    unreachable = connect("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    worker = Worker(unreachable, {})
    try:
        with pytest.raises(redis_py.ConnectionError):
            worker.run(burst=True)
        assert {sig: signal.getsignal(sig) for sig in before} == before
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        unreachable.close()


def test_a_jitter_outside_zero_to_one_is_refused_when_the_worker_is_built(
    redis: redis_py.Redis,
) -> None:
    with pytest.raises(ValueError, match="jitter must be between 0 and 1"):
        Worker(redis, {}, retry_jitter=1.5)


# Registry, heartbeat, recovery of the worker's own jobs.


def test_the_heartbeat_keeps_a_busy_workers_score_fresh(
    make_worker: MakeWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    prefix: str,
    wait_for: WaitFor,
) -> None:
    # Given a job slower than twice the recovery timeout of 0.3 s, and another reaper
    job_id = job_queue.dispatch("default", "slow", {})
    scores: list[float] = []
    reaped: list[tuple[int, int]] = []
    reaper = QueueClient(redis, prefix, "reaper")

    def score() -> float:
        return redis.zscore(f"{prefix}workers", "busy") or 0.0

    def slow(payload: dict[str, Any]) -> None:
        started = time.monotonic()
        for _ in range(3):
            scores.append(score())
            wait_for(lambda: score() > scores[-1])
        wait_for(lambda: time.monotonic() - started > 2 * 0.3)  # the job's slow work
        reaped.append(reaper.reap("busy", time.time() - 0.3, max_recoveries=3))

    worker = make_worker({"slow": Recorder(slow)}, worker_id="busy", recovery_timeout=0.3)

    # When the worker runs it
    worker.run(burst=True)

    # Then its score rose while the handler ran, and the reaper could not take the job
    assert scores == sorted(scores) and len(set(scores)) == 3
    assert reaped == [(0, 0)]
    state = state_of(job_queue, job_id)
    assert (state.state, state.recoveries) == ("succeeded", 0)


def test_a_worker_is_registered_while_it_runs_and_leaves_when_it_returns(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    registered: list[float | None] = []
    job_queue.dispatch("default", "check", {})
    check = Recorder(lambda _: registered.append(redis.zscore(f"{prefix}workers", "w1")))

    make_worker({"check": check}, worker_id="w1").run(burst=True)

    assert len(registered) == 1 and registered[0] is not None
    assert redis.zcard(f"{prefix}workers") == 0


def test_after_losing_redis_a_worker_gives_back_jobs_it_never_saw_and_runs_them(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job moved into a worker's list by a fetch whose answer was lost
    job_id = job_queue.dispatch("default", "send_email", {"order_id": 7})
    handler = Recorder()
    worker = make_worker({"send_email": handler})
    redis.lmove(f"{prefix}default", processing(prefix, worker), "LEFT", "RIGHT")
    worker._lost_redis = True

    # When the worker goes on
    counts = worker.run(burst=True)

    # Then it gave the job back to its queue, took it again and ran it once
    assert handler.payloads == [{"order_id": 7}]
    assert counts == {**NO_COUNTS, "processed": 1}
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts, state.recoveries) == ("succeeded", 1, 1)
    assert redis.llen(processing(prefix, worker)) == 0


def test_a_blocked_worker_wakes_for_a_delayed_job_due_before_its_wait_ends(
    make_worker: MakeWorker,
    job_queue: JobQueue,
    redis: redis_py.Redis,
    start_worker: Callable[..., Future[dict[str, int]]],
    wait_for: WaitFor,
) -> None:
    # Given a worker blocked on an empty queue for up to 3 s
    ran_at: list[float] = []
    handler = Recorder(then=lambda payload: ran_at.append(time.time()))
    start_worker(make_worker({"remind": handler}, block_timeout=3.0))
    wait_for(lambda: any(c.get("cmd") == "blmove" for c in redis.client_list()))

    # When a job delayed by 0.3 s is dispatched
    due_at = time.time() + 0.3
    job_queue.dispatch("default", "remind", {}, delay=0.3)

    # Then it runs at its due time, not when the 3 s wait ends (a generous bound)
    wait_for(lambda: ran_at, timeout=5.0)
    assert due_at <= ran_at[0] < due_at + 1.0
