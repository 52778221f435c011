"""QueueMonitor: what a dashboard reads of the queue, in a bounded number of round trips.

Each queue's keys are read together, so on a Redis Cluster, where each queue lives on one
node, a read pipelines to each node once (redis-py's cluster pipeline groups commands by
node); on a single Redis it is one round trip.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from jobs.connection import RedisClient, queue_client_for
from jobs.entry import parse_entry
from jobs.invariant import InvariantCheck, QueueRead, places_of
from jobs.keys import Keys, is_queue_name
from jobs.snapshot import LIST_LIMIT, QueueSnapshot, WorkerInfo, build_snapshot
from jobs.stats import HandlerStats, Throughput, merge_fields, minute_of

# How many times check_invariant reads again when a worker came or went meanwhile.
INVARIANT_TRIES = 3


class QueueMonitor:
    """Reads the queue's keys, never writes them: each read takes a few round trips at
    most, and each list is read up to LIST_LIMIT entries, whatever the queue holds."""

    def __init__(self, redis: RedisClient, prefix: str = "queue:") -> None:
        self.redis = queue_client_for(redis)
        self.keys = Keys.for_client(self.redis, prefix)

    def throughput(self, queues: Sequence[str], minutes: int) -> Throughput:
        """Jobs finished in each of the last `minutes` minutes (one MGET per queue), and
        the rate now."""
        now = time.time()
        with self.redis.pipeline(transaction=False) as pipe:
            for queue in queues:
                _mget(pipe, self._counter_keys(queue, minute_of(now), minutes))
            counts = pipe.execute()
        return Throughput.from_counts(_add_up(counts, 2 * minutes), minute_of(now), now)

    def snapshot(self, queues: Sequence[str], minutes: int) -> QueueSnapshot:
        """Read these queues in two round trips (jobs/snapshot.py)."""
        now = time.time()
        with self.redis.pipeline(transaction=False) as pipe:
            for name in queues:
                pipe.llen(self.keys.queue(name))
                pipe.zcard(self.keys.delayed(name))
                pipe.zrange(self.keys.delayed(name), 0, LIST_LIMIT - 1, withscores=True)
                pipe.llen(self.keys.failed(name))
                pipe.lrange(self.keys.failed(name), 0, LIST_LIMIT - 1)
                _mget(pipe, self._counter_keys(name, minute_of(now), minutes))
            pipe.zrange(self.keys.workers, 0, -1, withscores=True)
            *replies, registry = pipe.execute()
        per_queue = [replies[i : i + 6] for i in range(0, len(replies), 6)]
        waiting = {name: int(read[0]) for name, read in zip(queues, per_queue, strict=True)}
        delayed = sorted((pair for read in per_queue for pair in read[2]), key=lambda p: p[1])
        failed = [raw for read in per_queue for raw in read[4]]
        counts = _add_up([read[5] for read in per_queue], 2 * minutes)
        return build_snapshot(
            waiting, delayed[:LIST_LIMIT], sum(int(read[1]) for read in per_queue), failed,
            sum(int(read[3]) for read in per_queue), self._workers(registry, now, queues),
            Throughput.from_counts(counts, minute_of(now), now),
        )

    def workers(self, queues: Sequence[str]) -> list[WorkerInfo]:
        """The registered workers, each with what it holds of these queues (two round
        trips)."""
        registry: list[tuple[str, float]] = self.redis.zrange(  # type: ignore[assignment]
            self.keys.workers, 0, -1, withscores=True
        )
        return self._workers(registry, time.time(), queues)

    def queues(self) -> list[str]:
        """Every queue used: those dispatched to, and those served by a worker (workers
        add theirs as they register)."""
        return sorted(name for name in map(str, self.redis.smembers(self.keys.queues))
                      if is_queue_name(name))

    def check_invariant(self, job_ids: Sequence[str], queues: Sequence[str]) -> InvariantCheck:
        """Find each job's places in these queues, each queue's keys read in one MULTI, so
        no job is seen mid-move (a job never leaves its queue's keys): jobs/invariant.py."""
        workers = [str(worker_id) for worker_id in self.redis.zrange(self.keys.workers, 0, -1)]
        groups = self.keys.slot_groups(queues)
        for attempt in range(1, INVARIANT_TRIES + 1):
            reads: list[QueueRead] = []
            for group in groups:
                group_reads, registry = self._read_for_invariant(group, workers, job_ids)
                reads += group_reads
            if registry is None:  # on a cluster, the registry is read after the queues
                registry = [str(w) for w in self.redis.zrange(self.keys.workers, 0, -1)]
            trips = 1 + attempt * (len(groups) + self.keys.cluster)
            if registry == workers:
                return places_of(job_ids, reads, trips)
            workers = registry  # a worker came or went: its lists may not have been read
        return InvariantCheck([], 1 + INVARIANT_TRIES, "the workers kept changing; check again")

    def handler_stats(self, queues: Sequence[str]) -> dict[str, HandlerStats]:
        """Totals per handler over these queues: processed, failed, seconds, histogram."""
        with self.redis.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.hgetall(self.keys.handler_stats(queue))
            hashes: list[dict[str, str]] = pipe.execute()
        by_handler: dict[str, list[dict[str, str]]] = {}
        for fields in hashes:
            per_handler: dict[str, dict[str, str]] = {}
            for name, value in fields.items():
                handler, _, field = str(name).partition(":")
                per_handler.setdefault(handler, {})[field] = str(value)
            for handler, handler_fields in per_handler.items():
                by_handler.setdefault(handler, []).append(handler_fields)
        return {h: HandlerStats.from_fields(merge_fields(f)) for h, f in sorted(by_handler.items())}

    def _read_for_invariant(self, queues: Sequence[str], workers: Sequence[str],
                            job_ids: Sequence[str]) -> tuple[list[QueueRead], list[str] | None]:
        """One MULTI reading these queues (they share a slot): LIST_LIMIT + 1 entries of
        each list, one more than the limit showing it was passed; and on a single Redis,
        the worker registry (else None)."""
        with self.redis.pipeline(transaction=True) as pipe:
            for name in queues:
                pipe.lrange(self.keys.queue(name), 0, LIST_LIMIT)
                pipe.zrange(self.keys.delayed(name), 0, LIST_LIMIT)
                for worker_id in workers:
                    pipe.lrange(self.keys.processing(name, worker_id), 0, LIST_LIMIT)
                pipe.lrange(self.keys.failed(name), 0, LIST_LIMIT)
                for job_id in job_ids:
                    pipe.hget(self.keys.job(name, job_id), "state")
            if not self.keys.cluster:
                pipe.zrange(self.keys.workers, 0, -1)
            replies = pipe.execute()
        registry = None if self.keys.cluster else [str(w) for w in replies.pop()]
        size = 3 + len(workers) + len(job_ids)
        reads = []
        for at in range(0, len(replies), size):
            read = replies[at : at + size]
            reads.append(QueueRead(read[0], read[1], read[2 : 2 + len(workers)],
                                   read[2 + len(workers)], read[3 + len(workers) :]))
        return reads, registry

    def _workers(self, registry: list[tuple[str, float]], now: float,
                 queues: Sequence[str]) -> list[WorkerInfo]:
        """What each registered worker holds of these queues, and the queues it serves
        (one round trip)."""
        if not registry:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for worker_id, _ in registry:
                pipe.hget(self.keys.worker(worker_id), "queues")
                for queue in queues:
                    pipe.lrange(self.keys.processing(queue, worker_id), 0, LIST_LIMIT - 1)
            replies = pipe.execute()
        step = 1 + len(queues)
        return [
            WorkerInfo(worker_id, max(0.0, now - float(beat)),
                       [parse_entry(raw) for held in replies[at + 1 : at + step] for raw in held],
                       _queue_names(replies[at]))
            for (worker_id, beat), at in zip(registry, range(0, len(replies), step), strict=True)
        ]

    def _counter_keys(self, queue: str, minute_now: int, minutes: int) -> list[str]:
        """A queue's processed, then failed per-minute counters of the last minutes, oldest
        first."""
        span = range(minute_now - minutes + 1, minute_now + 1)
        return [self.keys.stats(queue, kind, m) for kind in ("processed", "failed") for m in span]


def _mget(pipe: Any, keys: list[str]) -> None:
    """MGET in a pipeline. A cluster pipeline refuses its mget() (its keys might span
    slots); one queue's counters share a slot, so the command itself is sent."""
    pipe.execute_command("MGET", *keys)


def _add_up(counts: list[list[Any]], size: int) -> list[int]:
    """Several queues' counters, added up position by position."""
    return [sum(int(values[i] or 0) for values in counts) for i in range(size)]


def _queue_names(text: Any) -> list[str] | None:
    if not text:
        return None
    return [name for name in str(text).split(",") if is_queue_name(name)]
