"""QueueClient: every Redis command of the queue, checked on a real Redis."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import redis as redis_py

from jobs import Job, QueueClient, connect
from jobs.client import WAKE_UP, failed_entry
from jobs.outcomes import Ack, Fail, Outcome, Requeue, Retry
from tests.jobs.support import WaitFor, list_ids, list_jobs

WORKER = "w1"


@pytest.fixture
def client(redis: redis_py.Redis, prefix: str) -> QueueClient:
    return QueueClient(redis, prefix, worker_id=WORKER)


@pytest.fixture
def processing(prefix: str) -> str:
    return f"{prefix}processing:{WORKER}"


def taken_job(client: QueueClient, queue: str = "default") -> Job:
    """Push a new job, take it into the worker's list and start it."""
    job = Job("send_email", {"order_id": 7}, queue)
    client.push(queue, job)
    taken = client.pop(queue, timeout=1)
    assert taken is not None and taken.job == job
    client.start([job])
    return job


def test_push_puts_the_job_json_on_its_queue(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    job = Job("send_email", {"order_id": 7}, "emails")

    client.push("emails", job)

    assert redis.lrange(f"{prefix}emails", 0, -1) == [job.to_json()]


def test_push_records_the_state_hash(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    before = time.time()
    job = Job("send_email", {"order_id": 7}, "emails")

    client.push("emails", job)

    fields = redis.hgetall(f"{prefix}job:{job.id}")
    # enqueued_at is the job's created_at, to the microsecond
    assert before - 1e-6 <= float(fields.pop("enqueued_at")) <= time.time()
    assert fields == {
        "state": "queued",
        "attempts": "0",
        "handler": "send_email",
        "queue": "emails",
    }


def test_push_with_a_delay_goes_to_the_delayed_set_scored_by_due_time(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    job = Job("send_email", {}, "emails")
    before = time.time()

    client.push("emails", job, delay_seconds=30)

    ((raw, due_at),) = redis.zrange(f"{prefix}delayed", 0, -1, withscores=True)
    assert raw == job.to_json()
    assert before + 30 <= due_at <= time.time() + 30
    # due before any other delayed job: a wake-up marker for a worker blocked on emails
    assert redis.lrange(f"{prefix}emails", 0, -1) == [WAKE_UP]
    fields = redis.hgetall(f"{prefix}job:{job.id}")
    assert fields["state"] == "delayed"
    assert float(fields["due_at"]) == due_at


def test_push_is_one_round_trip(client: QueueClient, round_trips: list[bytes]) -> None:
    client.push("default", Job("h", {}, "default"))  # Redis caches the script
    round_trips.clear()

    client.push("default", Job("h", {}, "default"))

    assert len(round_trips) == 1


def test_pop_moves_one_job_from_the_queue_into_the_workers_list(
    client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    first, second = Job("h", {"n": 1}, "default"), Job("h", {"n": 2}, "default")
    client.push("default", first)
    client.push("default", second)

    taken = client.pop("default", timeout=1)

    assert taken is not None
    assert (taken.job, taken.raw) == (first, first.to_json())
    assert redis.llen(f"{prefix}default") == 1
    assert redis.lrange(processing, 0, -1) == [first.to_json()]


def test_pop_returns_none_after_its_timeout_on_an_empty_queue(
    client: QueueClient, redis: redis_py.Redis, processing: str
) -> None:
    assert client.pop("default", timeout=0.05) is None
    assert redis.llen(processing) == 0


def test_pop_takes_malformed_data_as_it_is_and_says_why(
    client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    redis.rpush(f"{prefix}default", "not json")

    taken = client.pop("default", timeout=1)

    assert taken is not None
    assert (taken.raw, taken.job) == ("not json", None)
    assert taken.malformed is not None and "not JSON" in taken.malformed
    assert redis.lrange(processing, 0, -1) == ["not json"]


def test_pop_many_takes_up_to_count_in_queue_order(
    client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    # Given two jobs on the high queue and three on the low one
    low = [Job("h", {"n": n}, "low") for n in range(3)]
    high = [Job("h", {"n": n}, "high") for n in range(2)]
    for job in low + high:
        client.push(job.queue, job)

    # When a worker serving high, then low, takes four
    fetched = client.pop_many(["high", "low"], count=4)

    # Then it has all of high's and the first two of low's, in that order
    assert [taken.job for taken in fetched.taken] == [*high, *low[:2]]
    assert redis.llen(processing) == 4
    assert redis.llen(f"{prefix}high") == 0
    assert redis.lrange(f"{prefix}low", 0, -1) == [low[2].to_json()]


def test_pop_many_on_empty_queues_takes_nothing(client: QueueClient) -> None:
    fetched = client.pop_many(["default"], count=10)

    assert (fetched.taken, fetched.next_due_at, fetched.stale) == ([], None, 0)


def test_pop_many_reports_when_the_next_delayed_job_falls_due(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    client.push("default", Job("h", {}, "default"), delay_seconds=30)

    fetched = client.pop_many(["default"], count=10)

    ((_, due_at),) = redis.zrange(f"{prefix}delayed", 0, -1, withscores=True)
    assert fetched.taken == []
    assert fetched.next_due_at == due_at


def test_pop_many_records_outcomes_and_fetches_in_one_round_trip(
    client: QueueClient, round_trips: list[bytes], redis: redis_py.Redis, processing: str
) -> None:
    job = taken_job(client)
    client.push("default", Job("h", {}, "default"))
    # Load the scripts first: a Redis that has not seen them costs a reload once.
    client.pop_many(["other"], 1, [Ack("not held", "x", "{}", 1.0, 2.0, 60)])
    round_trips.clear()

    fetched = client.pop_many(["default"], 10, [Ack(job.to_json(), job.id, "{}", 1.0, 2.0, 60)])

    assert len(round_trips) == 1
    assert len(fetched.taken) == 1
    assert redis.llen(processing) == 1


def test_start_counts_an_attempt_and_marks_the_job_running(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    job = Job("h", {}, "default")
    client.push("default", job)

    assert client.start([job]) == [1]
    assert client.start([job]) == [2]

    fields = redis.hgetall(f"{prefix}job:{job.id}")
    assert (fields["state"], fields["attempts"], fields["worker"]) == ("running", "2", WORKER)
    assert float(fields["started_at"]) <= time.time()


def test_start_without_a_state_hash_counts_on_from_the_jobs_json(client: QueueClient) -> None:
    job = Job("h", {}, "default", attempts=2)  # its hash expired, say

    assert client.start([job]) == [3]


def test_ack_takes_the_job_off_the_list_and_records_success(
    client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    job = taken_job(client)

    stale = client.record([Ack(job.to_json(), job.id, "{}", 10.0, 12.5, keep_seconds=3600)])

    assert stale == 0
    assert redis.llen(processing) == 0
    fields = redis.hgetall(f"{prefix}job:{job.id}")
    assert (fields["state"], fields["started_at"], fields["finished_at"]) == (
        "succeeded",
        "10.0",
        "12.5",
    )
    assert 0 < redis.ttl(f"{prefix}job:{job.id}") <= 3600


def test_retry_schedules_the_next_attempt_in_the_delayed_set(
    client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    job = taken_job(client)
    next_raw = Job(job.handler, job.payload, job.queue, job.id, 1, job.created_at).to_json()

    client.record(
        [Retry(job.to_json(), job.id, next_raw, 500.0, "RuntimeError: x", "{}", 1.0, 2.0)]
    )

    assert redis.llen(processing) == 0
    assert redis.zrange(f"{prefix}delayed", 0, -1, withscores=True) == [(next_raw, 500.0)]
    fields = redis.hgetall(f"{prefix}job:{job.id}")
    assert (fields["state"], fields["due_at"], fields["error"]) == (
        "retrying",
        "500.0",
        "RuntimeError: x",
    )


def test_fail_moves_the_job_to_the_failed_list(
    client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    job = taken_job(client)

    client.record([Fail(job.to_json(), job.id, '{"entry": 1}', "RuntimeError: x", "{}", 1.0, 2.0)])

    assert redis.llen(processing) == 0
    assert redis.lrange(f"{prefix}failed", 0, -1) == ['{"entry": 1}']
    fields = redis.hgetall(f"{prefix}job:{job.id}")
    assert (fields["state"], fields["error"]) == ("failed", "RuntimeError: x")


def test_requeue_gives_the_job_back_to_the_front_of_its_queue_uncounted(
    client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    job = taken_job(client)
    waiting = Job("h", {}, "default")
    client.push("default", waiting)

    client.record([Requeue(job.to_json(), job.id, "default")])

    assert redis.llen(processing) == 0
    assert redis.lrange(f"{prefix}default", 0, -1) == [job.to_json(), waiting.to_json()]
    fields = redis.hgetall(f"{prefix}job:{job.id}")
    assert (fields["state"], fields["attempts"]) == ("queued", "0")


@pytest.mark.parametrize("kind", ["ack", "retry", "fail", "requeue"])
def test_an_outcome_for_a_job_no_longer_held_is_not_recorded(
    kind: str, client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    # Given a running job that was taken back from this worker
    job = taken_job(client)
    raw = job.to_json()
    redis.lrem(processing, 1, raw)
    before = redis.hgetall(f"{prefix}job:{job.id}")
    outcome: Outcome = {
        "ack": Ack(raw, job.id, "{}", 1.0, 2.0, 60),
        "retry": Retry(raw, job.id, raw, 500.0, "x", "{}", 1.0, 2.0),
        "fail": Fail(raw, job.id, "{}", "x", "{}", 1.0, 2.0),
        "requeue": Requeue(raw, job.id, "default"),
    }[kind]

    # When the worker records an outcome for it
    stale = client.record([outcome])

    # Then nothing changes, and the outcome is counted as stale
    assert stale == 1
    assert redis.hgetall(f"{prefix}job:{job.id}") == before
    assert redis.ttl(f"{prefix}job:{job.id}") == -1
    assert redis.zcard(f"{prefix}delayed") == 0
    assert redis.llen(f"{prefix}failed") == 0
    assert redis.llen(f"{prefix}default") == 0


def test_push_and_start_survive_a_script_flush(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    first, second = Job("h", {}, "default"), Job("h", {}, "default")
    client.push("default", first)
    redis.script_flush()

    client.push("default", second)
    redis.script_flush()
    attempts = client.start([first, second])

    assert redis.llen(f"{prefix}default") == 2
    assert attempts == [1, 1]


def test_pop_many_and_record_survive_a_script_flush(
    client: QueueClient, redis: redis_py.Redis, processing: str
) -> None:
    for n in range(2):
        client.push("default", Job("h", {"n": n}, "default"))
    client.pop_many(["default"], count=1)
    redis.script_flush()

    fetched = client.pop_many(["default"], count=1)
    redis.script_flush()
    stale = client.record(
        [Ack(t.raw, t.job.id, "{}", 1.0, 2.0, 60) for t in fetched.taken if t.job]
    )

    assert len(fetched.taken) == 1
    assert stale == 0
    assert redis.llen(processing) == 1  # only the first job is still held


def test_a_client_without_decoded_responses_is_refused(redis_url: str) -> None:
    raw_redis = redis_py.Redis.from_url(redis_url)
    try:
        with pytest.raises(ValueError, match="decode_responses=True"):
            QueueClient(raw_redis)
    finally:
        raw_redis.close()


def test_a_client_that_cannot_round_trip_any_bytes_is_refused(redis_url: str) -> None:
    strict_redis = redis_py.Redis.from_url(redis_url, decode_responses=True)
    try:
        with pytest.raises(ValueError, match="surrogateescape"):
            QueueClient(strict_redis)
    finally:
        strict_redis.close()


# The worker registry, the reaper lock, and reaping a dead worker's jobs.

DEAD = "dead-worker"


def held_by(
    redis: redis_py.Redis, prefix: str, worker_id: str, jobs: list[Job], last_beat: float
) -> None:
    """Register worker_id with a heartbeat at last_beat, holding jobs as if it had popped them."""
    client = QueueClient(redis, prefix, worker_id)
    for job in jobs:
        client.push(job.queue, job)
        assert client.pop(job.queue, timeout=1) is not None
    if jobs:
        client.start(jobs)
    redis.zadd(f"{prefix}workers", {worker_id: last_beat})


def test_heartbeat_registers_the_worker_scored_by_now(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    before = time.time()

    client.heartbeat()

    score = redis.zscore(f"{prefix}workers", WORKER)
    assert score is not None and before <= score <= time.time()


def test_a_later_heartbeat_moves_the_score_on(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    redis.zadd(f"{prefix}workers", {WORKER: 100.0})

    client.heartbeat()

    assert redis.zcard(f"{prefix}workers") == 1
    assert (redis.zscore(f"{prefix}workers", WORKER) or 0) > 100.0


def test_the_reaper_lock_goes_to_one_worker_until_it_expires(
    client: QueueClient, redis: redis_py.Redis, prefix: str, wait_for: WaitFor
) -> None:
    other = QueueClient(redis, prefix, "w2")

    # When one worker takes the lock for 0.1 s
    assert client.lock_reaper(0.1)

    # Then no other worker, nor the holder again, gets it until it expires
    assert not other.lock_reaper(0.1)
    assert not client.lock_reaper(0.1)
    assert redis.get(f"{prefix}reaper") == WORKER
    wait_for(lambda: other.lock_reaper(5))
    assert redis.get(f"{prefix}reaper") == "w2"


def test_dead_workers_are_those_whose_last_heartbeat_is_older_than_the_cutoff(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    redis.zadd(f"{prefix}workers", {"old": 100.0, "older": 50.0, "recent": 200.0})

    assert client.dead_workers(150.0) == ["older", "old"]
    assert client.dead_workers(10.0) == []


def test_reap_returns_a_dead_workers_jobs_to_the_front_of_their_own_queues(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a dead worker holding one job of emails and one of reports, each queue with a
    # job waiting behind
    email, report = Job("send_email", {}, "emails"), Job("build_report", {}, "reports")
    held_by(redis, prefix, DEAD, [email, report], last_beat=time.time() - 60)
    waiting = {name: Job("h", {}, name) for name in ("emails", "reports")}
    for job in waiting.values():
        client.push(job.queue, job)

    # When a reaper gives back the jobs of workers silent for 30 s
    returned = client.reap(DEAD, time.time() - 30, max_recoveries=3)

    # Then each job is first on its own queue, queued, with the recovery counted
    assert returned == (2, 0)
    assert redis.lrange(f"{prefix}emails", 0, -1) == [email.to_json(), waiting["emails"].to_json()]
    assert redis.lrange(f"{prefix}reports", 0, -1) == [
        report.to_json(),
        waiting["reports"].to_json(),
    ]
    for state in client.states([email.id, report.id]):
        assert state is not None
        assert (state.state, state.recoveries, state.error) == ("queued", 1, "abandoned 1 times")
        assert (state.attempts, state.worker, state.started_at) == (1, None, None)
    # And the dead worker holds nothing and has left the registry
    assert redis.llen(f"{prefix}processing:{DEAD}") == 0
    assert redis.zscore(f"{prefix}workers", DEAD) is None


def test_reap_keeps_the_order_of_a_dead_workers_jobs(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    first, second = Job("h", {"n": 1}, "default"), Job("h", {"n": 2}, "default")
    held_by(redis, prefix, DEAD, [first, second], last_beat=time.time() - 60)

    client.reap(DEAD, time.time() - 30, max_recoveries=3)

    assert redis.lrange(f"{prefix}default", 0, -1) == [first.to_json(), second.to_json()]


def test_reap_refuses_a_worker_whose_heartbeat_is_fresh(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a live worker holding a job (its reaper read a heartbeat just before it beat)
    job = Job("h", {}, "default")
    held_by(redis, prefix, "live", [job], last_beat=time.time())
    before = redis.hgetall(f"{prefix}job:{job.id}")

    # When a reaper tries to reap it
    returned = client.reap("live", time.time() - 30, max_recoveries=3)

    # Then it moves nothing: the job stays with its worker, which stays registered
    assert returned == (0, 0)
    assert redis.lrange(f"{prefix}processing:live", 0, -1) == [job.to_json()]
    assert redis.llen(f"{prefix}default") == 0
    assert redis.hgetall(f"{prefix}job:{job.id}") == before
    assert redis.zscore(f"{prefix}workers", "live") is not None


def test_reap_leaves_malformed_data_of_a_live_worker_alone(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    held_by(redis, prefix, "live", [], last_beat=time.time())
    redis.rpush(f"{prefix}processing:live", "not json")

    returned = client.reap("live", time.time() - 30, max_recoveries=3)

    assert returned == (0, 0)
    assert redis.lrange(f"{prefix}processing:live", 0, -1) == ["not json"]
    assert redis.llen(f"{prefix}failed") == 0


def test_a_job_abandoned_more_than_max_recoveries_times_goes_to_failed(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a job that crashes every worker that takes it, and at most 2 recoveries
    job = Job("crash", {"order_id": 7}, "default")
    held_by(redis, prefix, DEAD, [job], last_beat=0.0)
    results = []
    for _ in range(3):
        # When its worker dies and a reaper gives the job back, then it is taken again
        results.append(client.reap(DEAD, time.time() - 30, max_recoveries=2))
        redis.lmove(f"{prefix}default", f"{prefix}processing:{DEAD}", "LEFT", "RIGHT")
        redis.zadd(f"{prefix}workers", {DEAD: 0.0})

    # Then it came back twice, and the third time went to the failed list for good
    assert results == [(1, 0), (1, 0), (0, 1)]
    assert redis.llen(f"{prefix}default") == 0
    assert redis.llen(f"{prefix}processing:{DEAD}") == 0
    (state,) = client.states([job.id])
    assert state is not None
    assert (state.state, state.error, state.recoveries) == ("failed", "abandoned 3 times", 3)
    assert state.finished_at is not None
    (entry,) = client.failed()
    assert json.loads(entry) | {"failed_at": 0} == {
        **json.loads(job.to_json()),
        "error": "abandoned 3 times",
        "failed_at": 0,
    }


def test_reap_moves_malformed_data_of_a_dead_worker_to_failed(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    # Given a dead worker holding data that is not a job, then a job
    job = Job("h", {}, "default")
    redis.rpush(f"{prefix}processing:{DEAD}", "not json")
    held_by(redis, prefix, DEAD, [job], last_beat=0.0)

    # When it is reaped
    returned = client.reap(DEAD, time.time() - 30, max_recoveries=3)

    # Then the data is in the failed list as it was, and the job is back on its queue
    assert returned == (1, 1)  # one job back on its queue, the malformed data failed
    (entry,) = [json.loads(raw) for raw in client.failed()]
    assert entry["raw"] == "not json"
    assert entry["error"].startswith("Malformed job: not JSON")
    assert redis.lrange(f"{prefix}default", 0, -1) == [job.to_json()]
    assert redis.llen(f"{prefix}processing:{DEAD}") == 0
    assert redis.zscore(f"{prefix}workers", DEAD) is None


def test_a_dead_worker_holding_nothing_just_leaves_the_registry(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    held_by(redis, prefix, DEAD, [], last_beat=0.0)

    assert client.reap(DEAD, time.time() - 30, max_recoveries=3) == (0, 0)
    assert redis.zscore(f"{prefix}workers", DEAD) is None


def test_concurrent_reapers_return_each_job_exactly_once(
    redis: redis_py.Redis, redis_url: str, prefix: str
) -> None:
    # Given a dead worker holding 100 jobs of two queues
    jobs = [Job("h", {"n": n}, ("a", "b")[n % 2]) for n in range(100)]
    held_by(redis, prefix, DEAD, jobs, last_beat=0.0)
    start = threading.Barrier(4)

    def reap(reaper_id: str) -> tuple[int, int]:
        with connect(redis_url) as own_redis:
            reaper = QueueClient(own_redis, prefix, reaper_id)
            start.wait(timeout=5)
            return reaper.reap(DEAD, time.time() - 30, max_recoveries=3)

    # When four reapers, each with its own connection, reap it at once
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(reap, ["r1", "r2", "r3", "r4"]))

    # Then every job is back on its queue once, its recovery counted once
    assert sum(returned for returned, _ in results) == 100
    on_queues = list_ids(redis, f"{prefix}a") + list_ids(redis, f"{prefix}b")
    assert Counter(on_queues) == Counter(job.id for job in jobs)
    states = QueueClient(redis, prefix).states([job.id for job in jobs])
    assert {state.recoveries for state in states if state} == {1}
    assert redis.llen(f"{prefix}processing:{DEAD}") == 0


def failed_job(client: QueueClient, queue: str = "default") -> tuple[str, Job]:
    """A job that failed for good on its first attempt: its failed entry, and the job in it."""
    job = taken_job(client, queue)
    failed = replace(job, attempts=1)
    entry = failed_entry(failed, "RuntimeError: x", 2.0)
    client.record([Fail(job.to_json(), job.id, entry, "RuntimeError: x", "{}", 1.0, 2.0)])
    return entry, failed


def test_retry_failed_queues_the_jobs_again_with_attempts_reset(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    entry, job = failed_job(client, "emails")

    assert client.retry_failed([(entry, job)]) == 1

    assert client.failed() == []
    (queued,) = list_jobs(redis, f"{prefix}emails")
    assert (queued["id"], queued["attempts"]) == (job.id, 0)
    (state,) = client.states([job.id])
    assert state is not None
    assert (state.state, state.attempts, state.error, state.finished_at) == (
        "queued",
        0,
        None,
        None,
    )


def test_retrying_a_failed_job_twice_queues_it_once(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    entry, job = failed_job(client)

    assert client.retry_failed([(entry, job), (entry, job)]) == 1
    assert redis.llen(f"{prefix}default") == 1


def test_purge_failed_deletes_the_entries_and_their_state(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    entry, job = failed_job(client)
    redis.rpush(f"{prefix}failed", '{"raw": "x"}')

    assert client.purge_failed([(entry, job.id), ('{"raw": "x"}', None)]) == 2

    assert client.failed() == []
    assert redis.exists(f"{prefix}job:{job.id}") == 0
    assert client.purge_failed([(entry, job.id)]) == 0


def test_push_refuses_a_job_of_another_queue(client: QueueClient) -> None:
    with pytest.raises(ValueError, match="belongs to queue 'emails'"):
        client.push("default", Job("h", {}, "emails"))


def test_push_many_skips_jobs_pushed_before(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    old, new = Job("h", {}, "default"), Job("h", {}, "default")
    client.push("default", old)

    pushed = client.push_many("default", "h", [old, new])

    assert pushed == 1
    assert redis.lrange(f"{prefix}default", 0, -1) == [old.to_json(), new.to_json()]


def test_pop_many_drops_wake_up_markers(
    client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    job = Job("h", {}, "default")
    redis.rpush(f"{prefix}default", WAKE_UP, job.to_json(), WAKE_UP)

    fetched = client.pop_many(["default"], 10)

    assert [taken.raw for taken in fetched.taken] == [job.to_json()]
    assert redis.lrange(processing, 0, -1) == [job.to_json()]
    assert redis.llen(f"{prefix}default") == 0


def test_pop_returns_nothing_for_a_wake_up_marker_and_drops_it(
    client: QueueClient, redis: redis_py.Redis, prefix: str, processing: str
) -> None:
    redis.rpush(f"{prefix}default", WAKE_UP)

    assert client.pop("default", timeout=1) is None
    assert redis.llen(processing) == 0


def test_reap_keeps_a_record_of_the_attempt_the_dead_worker_was_running(
    client: QueueClient, redis: redis_py.Redis, prefix: str
) -> None:
    job = Job("h", {}, "default")
    held_by(redis, prefix, DEAD, [job], last_beat=time.time() - 60)

    client.reap(DEAD, time.time() - 30, max_recoveries=3)

    (state,) = client.states([job.id])
    assert state is not None
    ((record),) = state.history
    assert (record["attempt"], record["worker"], record["outcome"]) == (1, DEAD, "abandoned")
    assert record["started_at"] <= record["finished_at"]


def test_register_describes_the_worker_until_it_is_reaped(
    redis: redis_py.Redis, prefix: str
) -> None:
    worker = QueueClient(redis, prefix, "w9")
    worker.register(["emails", "reports"])

    description = redis.hgetall(f"{prefix}worker:w9")
    assert description["queues"] == "emails,reports"
    assert int(description["pid"]) == os.getpid()

    worker.reap("w9", dead_before=time.time() + 1, max_recoveries=3)
    assert redis.exists(f"{prefix}worker:w9") == 0
    assert redis.zscore(f"{prefix}workers", "w9") is None
