"""A read-only snapshot of the queue for the dashboard and /metrics, in two round trips.

Only reads (LLEN, LRANGE, ZCARD, ZRANGE, MGET, HGET), pipelined: the first round trip
reads the queues, the delayed set, the failed list, the worker registry and the per-minute
counters; the second reads each registered worker's processing list, which the first
named. Lists are read up to LIST_LIMIT entries: past that, the per-queue split of the
delayed and failed jobs counts only those read (`QueueSnapshot.truncated` says so).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from redis import Redis

from jobs import WAKE_UP, Keys
from shop.queue_entries import Entry, parse_entry, parse_failed
from shop.queue_workers import WorkerInfo, read_workers
from shop.throughput import Throughput, minute_keys, read_throughput

LIST_LIMIT = 1000  # entries read from one list or set: bounds the time Redis spends on us


@dataclass(frozen=True)
class QueueDepth:
    """How many jobs of one queue are in each place."""

    name: str
    waiting: int
    delayed: int
    in_progress: int
    failed: int


@dataclass(frozen=True)
class QueueSnapshot:
    """The whole queue at one moment, as the dashboard shows it."""

    depths: list[QueueDepth]
    workers: list[WorkerInfo]
    delayed: list[tuple[Entry, float]]  # (job, due time in unix seconds), soonest first
    failed: list[Entry]
    failed_total: int
    throughput: Throughput
    truncated: bool


def read_snapshot(
    redis: Redis, keys: Keys, queues: Sequence[str], minutes: int = 30
) -> QueueSnapshot:
    """Read the queue's state in two round trips; queues are the ones to show first."""
    now = time.time()
    minute_now = math.floor(now / 60)
    with redis.pipeline(transaction=False) as pipe:
        for name in queues:
            pipe.llen(keys.queue(name))
            # Wake-up markers (jobs/lua/push.lua) share the list but are no jobs.
            pipe.lpos(keys.queue(name), WAKE_UP, count=0, maxlen=LIST_LIMIT)
        pipe.zcard(keys.delayed)
        pipe.zrange(keys.delayed, 0, LIST_LIMIT - 1, withscores=True)
        pipe.llen(keys.failed)
        pipe.lrange(keys.failed, 0, LIST_LIMIT - 1)
        pipe.zrange(keys.workers, 0, -1, withscores=True)
        processed_keys, failed_keys = minute_keys(keys, minute_now, minutes)
        pipe.mget(processed_keys)
        pipe.mget(failed_keys)
        *lengths, delayed_total, delayed_raw, failed_total, failed_raw, registry, done, lost = (
            pipe.execute()
        )
    waiting = [length - len(markers) for length, markers in zip(lengths[0::2], lengths[1::2],
                                                                 strict=True)]
    workers = read_workers(redis, keys, registry, now)
    delayed = [(parse_entry(raw), float(due)) for raw, due in delayed_raw]
    failed = [parse_failed(raw) for raw in failed_raw]
    held = [entry for worker in workers for entry in worker.holding]
    depths = count_by_queue(
        list(queues), dict(zip(queues, waiting, strict=True)),
        [entry for entry, _ in delayed], held, failed,
    )
    truncated = delayed_total > len(delayed) or failed_total > len(failed)
    throughput = read_throughput(done, lost, minute_now, now)
    return QueueSnapshot(depths, workers, delayed, failed, failed_total, throughput, truncated)


def count_by_queue(
    names: list[str], waiting: dict[str, int], delayed: list[Entry], held: list[Entry],
    failed: list[Entry],
) -> list[QueueDepth]:
    """Count each queue's jobs in each place; queues seen only in the data come after."""
    places = [Counter(entry.queue for entry in group) for group in (delayed, held, failed)]
    seen = {queue for place in places for queue in place if queue}
    ordered = names + sorted(seen - set(names))
    return [
        QueueDepth(name, waiting.get(name, 0), places[0][name], places[1][name], places[2][name])
        for name in ordered
    ]
