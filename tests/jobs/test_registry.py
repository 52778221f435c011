"""WorkerRegistry: heartbeats, the reaper lock, and giving a dead worker's jobs back."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis as redis_py

from jobs import FailedList, Job, JobQueue, Keys, WorkerRegistry, connect
from tests.jobs.support import hold_jobs, list_ids, state_of
from tests.waiting import wait_for

WORKER = "w1"
DEAD = "dead-worker"


@pytest.fixture
def registry(redis: redis_py.Redis, keys: Keys) -> WorkerRegistry:
    return WorkerRegistry(redis, keys, WORKER, max_recoveries=3)


def held_by(
    redis: redis_py.Redis, keys: Keys, worker_id: str, jobs: list[Job], last_beat: float
) -> None:
    """Register worker_id with a heartbeat at last_beat, holding jobs as if it had taken them."""
    hold_jobs(redis, keys.prefix, worker_id, jobs)
    redis.zadd(keys.workers, {worker_id: last_beat})


def test_heartbeat_registers_the_worker_scored_by_now(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    before = time.time()

    registry.heartbeat()

    score = redis.zscore(keys.workers, WORKER)
    assert score is not None and before <= score <= time.time(), "scored by the time it beat"


def test_a_later_heartbeat_moves_the_score_on(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    redis.zadd(keys.workers, {WORKER: 100.0})

    registry.heartbeat()

    assert redis.zcard(keys.workers) == 1, "one entry per worker"
    assert (redis.zscore(keys.workers, WORKER) or 0) > 100.0


def test_register_describes_the_worker_until_it_is_reaped(
    redis: redis_py.Redis, keys: Keys
) -> None:
    worker = WorkerRegistry(redis, keys, "w9", max_recoveries=3)
    worker.register(["emails", "reports"])

    description = redis.hgetall(keys.worker("w9"))
    assert description["queues"] == "emails,reports"
    assert int(description["pid"]) == os.getpid()
    assert redis.zscore(keys.workers, "w9") is not None, "registered"

    worker.reap("w9", dead_before=time.time() + 1)
    assert redis.exists(keys.worker("w9")) == 0, "its description is gone"
    assert redis.zscore(keys.workers, "w9") is None, "it left the registry"


def test_the_reaper_lock_goes_to_one_worker_until_it_expires(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    other = WorkerRegistry(redis, keys, "w2", max_recoveries=3)

    # When one worker takes the lock for 0.1 s
    assert registry.lock_reaper(0.1)

    # Then no other worker, nor the holder again, gets it until it expires
    assert not other.lock_reaper(0.1)
    assert not registry.lock_reaper(0.1)
    assert redis.get(keys.reaper) == WORKER
    wait_for(lambda: other.lock_reaper(5), "the lock to expire and go to w2")
    assert redis.get(keys.reaper) == "w2"


def test_dead_workers_are_those_whose_last_heartbeat_is_older_than_the_cutoff(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    redis.zadd(keys.workers, {"old": 100.0, "older": 50.0, "recent": 200.0})

    assert registry.dead_workers(150.0) == ["older", "old"]
    assert registry.dead_workers(10.0) == []


def test_reap_returns_a_dead_workers_jobs_to_the_front_of_their_own_queues(
    registry: WorkerRegistry, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a dead worker holding one job of emails and one of reports, each queue with a
    # job waiting behind
    email, report = Job("send_email", {}, "emails"), Job("build_report", {}, "reports")
    held_by(redis, keys, DEAD, [email, report], last_beat=time.time() - 60)
    waiting = {name: Job("h", {}, name) for name in ("emails", "reports")}
    for job in waiting.values():
        job_queue.client.enqueue(job)

    # When a reaper gives back the jobs of workers silent for 30 s
    returned = registry.reap(DEAD, time.time() - 30)

    # Then each job is first on its own queue, queued, with the recovery counted
    assert returned == (2, 0)
    assert redis.lrange(keys.queue("emails"), 0, -1) == [email.to_json(),
                                                        waiting["emails"].to_json()]
    assert redis.lrange(keys.queue("reports"), 0, -1) == [report.to_json(),
                                                         waiting["reports"].to_json()]
    for state in job_queue.states([("emails", email.id), ("reports", report.id)]):
        assert state is not None
        assert (state.state, state.recoveries, state.error) == ("queued", 1, "abandoned 1 times")
        assert (state.attempts, state.worker, state.started_at) == (1, None, None)
    # And the dead worker holds nothing and has left the registry
    held = [redis.llen(keys.processing(queue, DEAD)) for queue in ("emails", "reports")]
    assert held == [0, 0], "the dead worker holds nothing"
    assert redis.zscore(keys.workers, DEAD) is None, "the dead worker left the registry"


def test_reap_keeps_the_order_of_a_dead_workers_jobs(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    first, second = Job("h", {"n": 1}, "default"), Job("h", {"n": 2}, "default")
    held_by(redis, keys, DEAD, [first, second], last_beat=time.time() - 60)

    registry.reap(DEAD, time.time() - 30)

    assert redis.lrange(keys.queue("default"), 0, -1) == [first.to_json(), second.to_json()]


def test_reap_keeps_a_record_of_the_attempt_the_dead_worker_was_running(
    registry: WorkerRegistry, job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    job = Job("h", {}, "default")
    held_by(redis, keys, DEAD, [job], last_beat=time.time() - 60)

    registry.reap(DEAD, time.time() - 30)

    (record,) = state_of(job_queue, job.id).history
    assert (record["attempt"], record["worker"], record["outcome"]) == (1, DEAD, "abandoned")
    assert record["started_at"] <= record["finished_at"]


def test_reap_refuses_a_worker_whose_heartbeat_is_fresh(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a live worker holding a job (its reaper read a heartbeat just before it beat)
    job = Job("h", {}, "default")
    held_by(redis, keys, "live", [job], last_beat=time.time())
    before = redis.hgetall(keys.job(job.queue, job.id))

    # When a reaper tries to reap it
    returned = registry.reap("live", time.time() - 30)

    # Then it moves nothing: the job stays with its worker, which stays registered
    assert returned == (0, 0)
    assert redis.lrange(keys.processing("default", "live"), 0, -1) == [job.to_json()]
    assert redis.llen(keys.queue("default")) == 0, "nothing given back"
    assert redis.hgetall(keys.job(job.queue, job.id)) == before
    assert redis.zscore(keys.workers, "live") is not None, "still registered"


def test_reap_leaves_malformed_data_of_a_live_worker_alone(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    held_by(redis, keys, "live", [], last_beat=time.time())
    redis.rpush(keys.processing("default", "live"), "not json")

    returned = registry.reap("live", time.time() - 30)

    assert returned == (0, 0)
    assert redis.lrange(keys.processing("default", "live"), 0, -1) == ["not json"]
    assert redis.llen(keys.failed("default")) == 0, "nothing failed"


def test_a_job_abandoned_more_than_max_recoveries_times_goes_to_failed(
    job_queue: JobQueue, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a job that crashes every worker that takes it, and at most 2 recoveries
    job = Job("crash", {"order_id": 7}, "default")
    held_by(redis, keys, DEAD, [job], last_beat=0.0)
    reaper = WorkerRegistry(redis, keys, WORKER, max_recoveries=2)
    results = []
    for _ in range(3):
        # When its worker dies and a reaper gives the job back, then it is taken again
        results.append(reaper.reap(DEAD, time.time() - 30))
        redis.lmove(keys.queue("default"), keys.processing("default", DEAD), "LEFT", "RIGHT")
        redis.zadd(keys.workers, {DEAD: 0.0})

    # Then it came back twice, and the third time went to the failed list for good
    assert results == [(1, 0), (1, 0), (0, 1)]
    assert redis.llen(keys.queue("default")) == 0, "not queued"
    assert redis.llen(keys.processing("default", DEAD)) == 0, "not held"
    state = state_of(job_queue, job.id)
    assert (state.state, state.error, state.recoveries) == ("failed", "abandoned 3 times", 3)
    assert state.finished_at is not None
    (entry,) = FailedList(redis, keys).entries(["default"])
    assert entry | {"failed_at": 0} == {
        **job.to_dict(),
        "error": "abandoned 3 times",
        "failed_at": 0,
    }


def test_reap_moves_malformed_data_of_a_dead_worker_to_failed(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    # Given a dead worker holding data that is not a job, then a job
    job = Job("h", {}, "default")
    redis.rpush(keys.processing("default", DEAD), "not json")
    held_by(redis, keys, DEAD, [job], last_beat=0.0)

    # When it is reaped
    returned = registry.reap(DEAD, time.time() - 30)

    # Then the data is in the failed list as it was, and the job is back on its queue
    assert returned == (1, 1), "one job back on its queue, the malformed data failed"
    (entry,) = FailedList(redis, keys).entries(["default"])
    assert entry["raw"] == "not json"
    assert entry["error"].startswith("Malformed job: not JSON")
    assert redis.lrange(keys.queue("default"), 0, -1) == [job.to_json()]
    assert redis.llen(keys.processing("default", DEAD)) == 0, "the dead worker holds nothing"
    assert redis.zscore(keys.workers, DEAD) is None, "the dead worker left the registry"


def test_a_dead_worker_holding_nothing_just_leaves_the_registry(
    registry: WorkerRegistry, redis: redis_py.Redis, keys: Keys
) -> None:
    held_by(redis, keys, DEAD, [], last_beat=0.0)

    assert registry.reap(DEAD, time.time() - 30) == (0, 0)
    assert redis.zscore(keys.workers, DEAD) is None, "the dead worker left the registry"


def test_concurrent_reapers_return_each_job_exactly_once(
    job_queue: JobQueue, redis: redis_py.Redis, redis_url: str, keys: Keys
) -> None:
    # Given a dead worker holding 100 jobs of two queues
    jobs = [Job("h", {"n": n}, ("a", "b")[n % 2]) for n in range(100)]
    held_by(redis, keys, DEAD, jobs, last_beat=0.0)
    start = threading.Barrier(4)

    def reap(reaper_id: str) -> tuple[int, int]:
        with connect(redis_url) as own_redis:
            reaper = WorkerRegistry(own_redis, keys, reaper_id, max_recoveries=3)
            start.wait(timeout=5)
            return reaper.reap(DEAD, time.time() - 30)

    # When four reapers, each with its own connection, reap it at once
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(reap, ["r1", "r2", "r3", "r4"]))

    # Then every job is back on its queue once, its recovery counted once
    assert sum(returned for returned, _ in results) == 100
    on_queues = list_ids(redis, keys.queue("a")) + list_ids(redis, keys.queue("b"))
    assert Counter(on_queues) == Counter(job.id for job in jobs), "each job queued once"
    states = job_queue.states([(job.queue, job.id) for job in jobs])
    assert {state.recoveries for state in states if state} == {1}, "each recovery counted once"
    held = [redis.llen(keys.processing(queue, DEAD)) for queue in ("a", "b")]
    assert held == [0, 0], "the dead worker holds nothing"
