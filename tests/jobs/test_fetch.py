"""Fetcher: the reliable fetch that takes jobs into a worker's processing list, on a real Redis."""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from importlib.resources import files
from typing import Any

import pytest
import redis as redis_py

from jobs import FailedList, Job, Keys, QueueClient, WorkerRegistry
from jobs.fetch import Fetcher
from jobs.outcomes import Ack, Attempt, Taken
from tests.jobs.support import blocked_waiting, list_ids
from tests.waiting import wait_for

WORKER = "w1"


def make_fetcher(
    redis: redis_py.Redis, keys: Keys, prefetch: int = 1, block_timeout: float = 0.05
) -> Fetcher:
    """A worker's fetcher taking up to prefetch jobs a fetch (as if jobs were known fast)."""
    registry = WorkerRegistry(redis, keys, WORKER, max_recoveries=3)
    fetcher = Fetcher(redis, keys, registry, threading.Event(), block_timeout=block_timeout,
                      prefetch_seconds=0.02, max_prefetch=prefetch)
    if prefetch > 1:
        fetcher.prefetch.learn(1e-6)  # a fast job: as many as max_prefetch per fetch
    return fetcher


@pytest.fixture
def fetcher(redis: redis_py.Redis, keys: Keys) -> Fetcher:
    return make_fetcher(redis, keys)


@pytest.fixture
def client(redis: redis_py.Redis, prefix: str) -> QueueClient:
    return QueueClient(redis, prefix)


def ack(taken: Taken) -> Ack:
    """The outcome of a taken job that succeeded."""
    assert taken.job is not None, "the data taken is a job"
    return Ack(Attempt(taken.raw, taken.job, WORKER, 1.0, 2.0), keep_seconds=60)


def script_sha(name: str) -> bytes:
    """The SHA1 a script is called by (EVALSHA)."""
    source = files("jobs").joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")
    return hashlib.sha1(source.encode()).hexdigest().encode()


def test_a_fetch_moves_one_job_from_the_queue_into_the_workers_list(
    fetcher: Fetcher, client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given two jobs, and a worker that knows no job's duration yet
    first, second = Job("h", {"n": 1}, "default"), Job("h", {"n": 2}, "default")
    client.enqueue(first)
    client.enqueue(second)

    # When it fetches
    (taken,) = fetcher.fetch(["default"], wait=False)

    # Then it took the first, one only, into its own list
    assert (taken.job, taken.raw) == (replace(first, attempts=1), first.to_json())
    assert redis.lrange(keys.processing("default", WORKER), 0, -1) == [first.to_json()]
    assert list_ids(redis, keys.queue("default")) == [second.id], "the second still waits"


def test_a_fetch_without_wait_on_empty_queues_takes_nothing(
    fetcher: Fetcher, redis: redis_py.Redis, keys: Keys
) -> None:
    assert fetcher.fetch(["default"], wait=False) == []

    assert fetcher._next_due_at is None, "no delayed job to wait for"
    assert redis.llen(keys.processing("default", WORKER)) == 0, "the worker holds nothing"


def test_a_fetch_that_waits_returns_nothing_after_its_block_timeout(
    fetcher: Fetcher, redis: redis_py.Redis, keys: Keys
) -> None:
    assert fetcher.fetch(["default"], wait=True) == []

    assert redis.llen(keys.processing("default", WORKER)) == 0, "the worker holds nothing"


def test_a_fetch_takes_malformed_data_as_it_is_and_says_why(
    fetcher: Fetcher, redis: redis_py.Redis, keys: Keys
) -> None:
    redis.rpush(keys.queue("default"), "not json")

    (taken,) = fetcher.fetch(["default"], wait=False)

    assert (taken.raw, taken.job) == ("not json", None)
    assert taken.malformed is not None and "not JSON" in taken.malformed
    assert redis.lrange(keys.processing("default", WORKER), 0, -1) == ["not json"]


def test_a_fetch_takes_up_to_its_prefetch_count_in_queue_order(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given two jobs on the high queue and three on the low one
    low = [Job("h", {"n": n}, "low") for n in range(3)]
    high = [Job("h", {"n": n}, "high") for n in range(2)]
    for job in low + high:
        client.enqueue(job)

    # When a worker serving high, then low, fetches four
    fetched = make_fetcher(redis, keys, prefetch=4).fetch(["high", "low"], wait=False)

    # Then it has all of high's and the first two of low's, in that order
    assert [taken.raw for taken in fetched] == [job.to_json() for job in [*high, *low[:2]]]
    held = [redis.llen(keys.processing(queue, WORKER)) for queue in ("high", "low")]
    assert held == [2, 2], "each job is in the worker's list for its queue"
    assert redis.llen(keys.queue("high")) == 0
    assert redis.lrange(keys.queue("low"), 0, -1) == [low[2].to_json()]


def test_a_fetch_notes_when_the_next_delayed_job_falls_due(
    fetcher: Fetcher, client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    client.enqueue(Job("h", {}, "default"), delay_seconds=30)

    fetched = fetcher.fetch(["default"], wait=False)

    ((_, due_at),) = redis.zrange(keys.delayed("default"), 0, -1, withscores=True)
    assert fetched == []
    assert fetcher._next_due_at == due_at, "it knows how long it may block"


def test_a_fetch_counts_an_attempt_and_marks_the_job_running(
    fetcher: Fetcher, client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job taken once
    job = Job("h", {}, "default")
    client.enqueue(job)
    (first,) = fetcher.fetch(["default"], wait=False)

    # When it is back on its queue without finishing (its worker died), and taken again
    redis.lmove(keys.processing("default", WORKER), keys.queue("default"), "LEFT", "LEFT")
    (second,) = fetcher.fetch(["default"], wait=False)

    # Then each take counted an attempt, and the job is running on this worker
    assert [taken.job.attempts for taken in (first, second) if taken.job] == [1, 2]
    fields = redis.hgetall(keys.job(job.queue, job.id))
    assert (fields["state"], fields["attempts"], fields["worker"]) == ("running", "2", WORKER)
    assert float(fields["started_at"]) <= time.time()


def test_a_fetch_without_a_state_hash_counts_on_from_the_jobs_json(
    fetcher: Fetcher, redis: redis_py.Redis, keys: Keys
) -> None:
    job = Job("h", {}, "default", attempts=2)  # its hash expired, say
    redis.rpush(keys.queue("default"), job.to_json())

    (taken,) = fetcher.fetch(["default"], wait=False)

    assert taken.job is not None and taken.job.attempts == 3


def test_a_blocked_fetch_wakes_for_a_job_on_any_of_its_queues(
    redis: redis_py.Redis, keys: Keys, client: QueueClient
) -> None:
    # Given a fetch of three queues blocked for up to 10 s
    fetcher = make_fetcher(redis, keys, block_timeout=10.0)
    queues = ["payments", "emails", "reports"]
    with ThreadPoolExecutor(1) as pool:
        fetched = pool.submit(fetcher.fetch, queues, True)
        wait_for(lambda: blocked_waiting(redis), "the fetch to block")

        # When a job is queued on the last of them
        job = Job("h", {}, "reports")
        client.enqueue(job)

        # Then the fetch returns long before its wait would have ended, and the next takes it
        assert fetched.result(timeout=5) == []
    (taken,) = fetcher.fetch(queues, wait=False)
    assert taken.raw == job.to_json()


def test_a_take_that_empties_a_queue_clears_its_marker(
    fetcher: Fetcher, client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    client.enqueue(Job("h", {}, "default"))
    client.enqueue(Job("h", {}, "default"))
    assert redis.zscore(keys.marker("default"), "next") == 0

    fetcher.fetch(["default"], wait=False)
    assert redis.zscore(keys.marker("default"), "next") == 0, "a job is left: keep waking"

    fetcher.fetch(["default"], wait=False)
    assert redis.zscore(keys.marker("default"), "next") is None, "empty: no worker to wake"


def test_outcomes_are_recorded_in_the_fetchs_own_round_trip(
    fetcher: Fetcher, client: QueueClient, redis: redis_py.Redis, keys: Keys,
    round_trips: list[list[bytes]],
) -> None:
    # Given a job done, its outcome held, and a job waiting
    done = Job("h", {}, "default")
    client.enqueue(done)
    (taken,) = fetcher.fetch(["default"], wait=False)
    fetcher.record(ack(taken))
    waiting = Job("h", {}, "default")
    client.enqueue(waiting)
    round_trips.clear()

    # When the worker fetches
    (fetched,) = fetcher.fetch(["default"], wait=False)

    # Then one round trip recorded the outcome and took the next job; one more started it
    assert len(round_trips) == 2, "one to record and take, one to start"
    first = b"".join(round_trips[0])
    assert script_sha("ack") in first and script_sha("take") in first
    assert script_sha("start") in b"".join(round_trips[1])
    assert redis.hget(keys.job(done.queue, done.id), "state") == "succeeded"
    assert fetched.raw == waiting.to_json()
    assert redis.lrange(keys.processing("default", WORKER), 0, -1) == [waiting.to_json()]


def test_an_outcome_no_fetch_takes_is_sent_after_prefetch_seconds(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a worker's fetcher started, and a job it finished, and no next fetch coming
    fetcher = make_fetcher(redis, keys)
    job = Job("h", {}, "default")
    client.enqueue(job)
    (taken,) = fetcher.fetch(["default"], wait=False)
    fetcher.start()
    try:
        # When its outcome is held
        fetcher.record(ack(taken))

        # Then it is recorded all the same, soon (prefetch_seconds is 0.02 s)
        wait_for(lambda: redis.hget(keys.job(job.queue, job.id), "state") == "succeeded",
                 "the outcome to be sent without a fetch", seconds=2.0)
    finally:
        fetcher.stop()
    assert redis.llen(keys.processing("default", WORKER)) == 0, "the worker holds nothing"


def test_a_stale_outcome_a_fetch_sends_is_dropped_with_a_warning(
    fetcher: Fetcher, client: QueueClient, redis: redis_py.Redis, keys: Keys,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a job done, whose worker was meanwhile judged dead and the job taken back
    job = Job("h", {}, "default")
    client.enqueue(job)
    (taken,) = fetcher.fetch(["default"], wait=False)
    redis.lmove(keys.processing("default", WORKER), keys.queue("default"), "LEFT", "LEFT")
    before = redis.hgetall(keys.job(job.queue, job.id))
    fetcher.record(ack(taken))

    # When the next fetch sends its outcome
    fetcher.fetch(["other"], wait=False)

    # Then nothing of it is recorded, and the worker says so
    assert redis.hgetall(keys.job(job.queue, job.id)) == before
    assert list_ids(redis, keys.queue("default")) == [job.id], "the job waits to run again"
    messages = [record.getMessage() for record in caplog.records if record.name == "jobs.pending"]
    assert messages == ["1 outcomes dropped: their jobs were taken back"]


def test_fetch_and_record_survive_a_script_flush(
    fetcher: Fetcher, client: QueueClient, redis: redis_py.Redis, keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given two jobs, one taken, and Redis losing its scripts (a restart)
    for n in range(2):
        client.enqueue(Job("h", {"n": n}, "default"))
    (first,) = fetcher.fetch(["default"], wait=False)
    assert first.job is not None
    redis.script_flush()
    # ... and again between a fetch's take and its start
    run = fetcher.scripts.run

    def run_then_flush(calls: Any) -> list[Any]:
        results = run(calls)
        redis.script_flush()
        return results

    monkeypatch.setattr(fetcher.scripts, "run", run_then_flush)

    # When the worker records the first job's outcome and fetches again
    fetcher.record(ack(first))
    (second,) = fetcher.fetch(["default"], wait=False)

    # Then the outcome was recorded, and the second job taken and started
    assert redis.hget(keys.job(first.job.queue, first.job.id), "state") == "succeeded"
    assert second.job is not None and second.job.attempts == 1
    assert redis.hget(keys.job(second.job.queue, second.job.id), "state") == "running"
    held = redis.lrange(keys.processing("default", WORKER), 0, -1)
    assert held == [second.raw], "only the second held"


def test_jobs_given_back_go_to_the_front_of_their_queue_in_order_uncounted(
    client: QueueClient, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a worker holding three jobs, and bad data, it did not start, and one waiting
    jobs = [Job("h", {"n": n}, "default") for n in range(3)]
    for job in jobs:
        client.enqueue(job)
    redis.rpush(keys.queue("default"), "not json")
    waiting = Job("h", {}, "default")
    client.enqueue(waiting)
    fetcher = make_fetcher(redis, keys, prefetch=4)
    taken = fetcher.fetch(["default"], wait=False)

    # When it gives them back (it is stopping), and its outcomes are sent
    fetcher.give_back(taken)
    assert fetcher.pending.flush() == 0, "no outcome was stale"

    # Then the jobs are first on their queue, in their order, their attempts not counted
    assert list_ids(redis, keys.queue("default")) == [*(job.id for job in jobs), waiting.id]
    assert {redis.hget(keys.job(job.queue, job.id), "attempts") for job in jobs} == {"0"}
    assert {redis.hget(keys.job(job.queue, job.id), "state") for job in jobs} == {"queued"}
    # And the bad data is in the failed list
    assert [entry["raw"] for entry in FailedList(redis, keys).entries(["default"])] == ["not json"]
    assert redis.llen(keys.processing("default", WORKER)) == 0, "the worker holds nothing"
