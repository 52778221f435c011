"""The counters the worker keeps for dashboards, and the throughput read from them."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import redis as redis_py

from jobs.monitor import QueueMonitor
from jobs.queue import JobQueue
from jobs.stats import HandlerStats, Throughput, bucket_of, jobs_per_second, minute_of
from jobs.worker import Worker
from tests.jobs.support import Failing, Recorder

MakeWorker = Callable[..., Worker]


def test_a_duration_falls_in_the_smallest_bucket_that_holds_it() -> None:
    assert bucket_of(0.0) == "0.005"
    assert bucket_of(0.2) == "0.25"
    assert bucket_of(1.0) == "1.0"
    assert bucket_of(3600.0) == "inf"


def test_minutes_are_counted_from_the_epoch() -> None:
    assert minute_of(119.9) == 1
    assert minute_of(120.0) == 2


def test_handler_stats_make_the_histogram_cumulative() -> None:
    stats = HandlerStats.from_fields(
        {"processed": "3", "failed": "1", "seconds": "0.5", "le:0.005": "2", "le:0.25": "1"}
    )

    assert (stats.processed, stats.failed, stats.seconds) == (3, 1, 0.5)
    assert stats.buckets[0.005] == 2
    assert stats.buckets[0.1] == 2
    assert stats.buckets[0.25] == stats.buckets[math.inf] == 3


def test_the_worker_counts_jobs_per_minute_and_per_handler(
    make_worker: MakeWorker, job_queue: JobQueue, redis: redis_py.Redis, prefix: str
) -> None:
    # Given two jobs that succeed and one that fails for good
    for _ in range(2):
        job_queue.dispatch("default", "record", {})
    job_queue.dispatch("default", "pay", {})

    # When a worker drains them
    make_worker({"record": Recorder(), "pay": Failing("declined")}, max_attempts=1).run(burst=True)

    # Then this minute shows them, and so do the per-handler totals
    monitor = QueueMonitor(redis, prefix)
    throughput = monitor.throughput(["default"], minutes=2)  # two, in case the run crossed a minute
    assert (sum(throughput.processed), sum(throughput.failed)) == (2, 1)
    stats = monitor.handler_stats(["default"])
    assert (stats["record"].processed, stats["record"].failed) == (2, 0)
    assert (stats["pay"].processed, stats["pay"].failed) == (0, 1)
    assert stats["record"].buckets[math.inf] == 2


def test_throughput_is_read_in_one_round_trip(
    job_queue: JobQueue, round_trips: list[bytes]
) -> None:
    throughput = job_queue.throughput(minutes=60)

    assert len(round_trips) == 1
    assert len(throughput.minutes) == len(throughput.processed) == len(throughput.failed) == 60


def test_throughput_pairs_each_minute_with_its_counts() -> None:
    # One MGET: the processed counters, then the failed ones, oldest minute first
    throughput = Throughput.from_counts(["1", "2", "3", "4", "0", None], 100, 100 * 60 + 30)

    assert throughput.minutes == [98, 99, 100]
    assert (throughput.processed, throughput.failed) == ([1, 2, 3], [4, 0, 0])
    assert throughput.jobs_per_second == (3 + 2 * 0.5) / 60  # half of the minute before


@pytest.mark.parametrize(
    ("processed", "failed", "seconds_into_minute", "expected"),
    [
        ([0, 0], [0, 0], 30, 0.0),
        ([60, 0], [0, 0], 0, 1.0),  # the previous minute, all of it still within the last 60 s
        ([60, 0], [0, 0], 30, 0.5),  # half of it
        ([0, 30], [0, 30], 45, 1.0),  # this minute's, succeeded and failed alike
    ],
)
def test_jobs_per_second_spreads_the_previous_minute_evenly(
    processed: list[int], failed: list[int], seconds_into_minute: float, expected: float
) -> None:
    assert jobs_per_second(processed, failed, 600 * 60 + seconds_into_minute) == expected
