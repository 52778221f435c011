"""Worker: the loop that takes jobs, runs their handlers and records the outcomes."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import redis as redis_py

from jobs import JobQueue, Keys, Worker
from tests.jobs.support import NO_COUNTS, Failing, MakeWorker, Recorder, state_of


def test_a_job_runs_once_and_is_recorded_as_succeeded(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
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
    assert redis.llen(keys.processing("default", "w1")) == 0, "the worker holds nothing"
    assert redis.llen(keys.queue("default")) == 0, "the queue is empty"


def test_an_unknown_handler_fails_at_once(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job of a handler the worker does not have
    job_id = job_queue.dispatch("default", "no_such_handler", {})

    # When a worker drains the queue
    counts = make_worker({"send_email": Recorder()}).run(burst=True)

    # Then the job failed for good on its first attempt, not retried
    assert counts == {**NO_COUNTS, "failed": 1}
    (entry,) = job_queue.failed()
    assert (entry["id"], entry["attempts"]) == (job_id, 1)
    assert entry["error"] == "Unknown handler: no_such_handler"
    state = state_of(job_queue, job_id)
    assert (state.state, state.attempts) == ("failed", 1)
    assert state.error == "Unknown handler: no_such_handler"
    assert redis.zcard(keys.delayed("default")) == 0, "no retry was scheduled"


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
    keys: Keys,
    raw: str,
    reason: str,
) -> None:
    # Given bad data pushed straight onto the queue, then a valid job
    redis.rpush(keys.queue("default"), raw)
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
    assert redis.llen(keys.processing("default", worker.worker_id)) == 0, "the worker holds nothing"


def test_data_that_is_not_utf8_goes_to_failed_and_the_worker_goes_on(
    make_worker: MakeWorker, job_queue: JobQueue, redis_url: str, keys: Keys
) -> None:
    # Given bytes that are not UTF-8 on the queue, then a valid job
    with redis_py.Redis.from_url(redis_url) as bytes_redis:
        bytes_redis.rpush(keys.queue("default"), b"\xff\xfe")
    job_id = job_queue.dispatch("default", "send_email", {})

    # When a worker drains the queue
    make_worker({"send_email": Recorder()}).run(burst=True)

    # Then the bytes are in the failed list as they came, and the job ran
    (entry,) = job_queue.failed()
    assert entry["raw"] == "\udcff\udcfe", "the bytes, kept as surrogateescape keeps them"
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
    # Given only a job due in a minute
    handler = Recorder()
    job_id = job_queue.dispatch("default", "record", {}, delay=60)

    # When a worker runs in burst mode
    counts = make_worker({"record": handler}).run(burst=True)

    # Then it returns without waiting for it
    assert counts == NO_COUNTS
    assert handler.payloads == []
    assert state_of(job_queue, job_id).state == "delayed"


def test_fast_jobs_are_taken_in_batches(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given fast jobs that note how many jobs their worker holds
    held: list[int] = []
    worker = make_worker({"fast": Recorder(lambda _: held.append(redis.llen(processing)))})
    processing = keys.processing("default", worker.worker_id)
    for _ in range(50):
        job_queue.dispatch("default", "fast", {})

    # When a worker drains them
    worker.run(burst=True)

    # Then it held more than one at a time
    assert len(held) == 50, "every job ran"
    assert max(held) > 1, "the worker held several jobs at once"


def test_slow_jobs_are_taken_one_at_a_time(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given jobs slower than the worker's prefetch time, that note how many jobs it holds
    held: list[int] = []

    def slow(payload: dict[str, Any]) -> None:
        held.append(redis.llen(processing))
        time.sleep(0.03)  # the job's slow work, not a wait for anything

    worker = make_worker({"slow": Recorder(slow)}, prefetch_seconds=0.02)
    processing = keys.processing("default", worker.worker_id)
    for _ in range(4):
        job_queue.dispatch("default", "slow", {})

    # When a worker drains them
    worker.run(burst=True)

    # Then it held one at a time, leaving the rest for other workers
    assert held == [1, 1, 1, 1]


def test_log_lines_name_the_job_and_its_handler(
    make_worker: MakeWorker, job_queue: JobQueue, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a job that succeeds and one that fails
    caplog.set_level(logging.INFO, logger="jobs.worker")
    ok = job_queue.dispatch("default", "send_email", {})
    bad = job_queue.dispatch("default", "pay", {})

    # When a worker runs them
    make_worker({"send_email": Recorder(), "pay": Failing("card declined")}).run(burst=True)

    # Then its log says where it started, what became of each job, and what it did
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == "Worker started on queue: default"
    assert any(
        m.startswith(f"[OK] Job {ok} processed") and "handler send_email" in m for m in messages
    ), "the success is logged with the job and its handler"
    (error,) = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert error.startswith(f"[ERROR] Job {bad}: RuntimeError: card declined")
    assert "handler pay" in error
    assert messages[-1].endswith("stopped: 1 processed, 1 retried, 0 failed")


def test_max_attempts_below_one_is_refused(redis: redis_py.Redis) -> None:
    with pytest.raises(ValueError, match="max_attempts must be at least 1"):
        Worker(redis, {}, max_attempts=0)


def test_a_jitter_outside_zero_to_one_is_refused_when_the_worker_is_built(
    redis: redis_py.Redis,
) -> None:
    with pytest.raises(ValueError, match="jitter must be between 0 and 1"):
        Worker(redis, {}, retry_jitter=1.5)


@pytest.mark.parametrize(
    ("queue", "message"), [([], "at least one queue"), ("bad name", "Invalid queue name")]
)
def test_run_refuses_bad_queues(make_worker: MakeWorker, queue: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_worker({}).run(queue, burst=True)
