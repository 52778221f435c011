"""QueueMonitor: what a dashboard reads of the queue, in a bounded number of round trips."""

from __future__ import annotations

import time
from collections.abc import Sequence

from redis import Redis

from jobs.connection import queue_client_for
from jobs.entry import parse_entry
from jobs.invariant import InvariantCheck, places_of
from jobs.keys import Keys
from jobs.snapshot import LIST_LIMIT, QueueSnapshot, WorkerInfo, build_snapshot
from jobs.stats import HandlerStats, Throughput, minute_of

# How many times check_invariant reads again when a worker came or went meanwhile.
INVARIANT_TRIES = 3


class QueueMonitor:
    """Reads the queue's keys, never writes them: each read takes a few round trips at
    most, and each list is read up to LIST_LIMIT entries, whatever the queue holds."""

    def __init__(self, redis: Redis, prefix: str = "queue:") -> None:
        self.redis = queue_client_for(redis)
        self.keys = Keys(prefix)

    def throughput(self, minutes: int) -> Throughput:
        """Jobs finished in each of the last `minutes` minutes (one MGET), and the rate now."""
        now = time.time()
        # redis-py types replies as str | bytes; this client decodes them (see connect).
        counts: list[str | None] = self.redis.mget(  # type: ignore[assignment]
            self._counter_keys(minute_of(now), minutes)
        )
        return Throughput.from_counts(counts, minute_of(now), now)

    def snapshot(self, queues: Sequence[str], minutes: int) -> QueueSnapshot:
        """Read the whole queue in two round trips (jobs/snapshot.py); queues come first."""
        now = time.time()
        with self.redis.pipeline(transaction=False) as pipe:
            for name in queues:
                pipe.llen(self.keys.queue(name))
            pipe.zcard(self.keys.delayed)
            pipe.zrange(self.keys.delayed, 0, LIST_LIMIT - 1, withscores=True)
            pipe.llen(self.keys.failed)
            pipe.lrange(self.keys.failed, 0, LIST_LIMIT - 1)
            pipe.zrange(self.keys.workers, 0, -1, withscores=True)
            pipe.mget(self._counter_keys(minute_of(now), minutes))
            *waiting, delayed_total, delayed, failed_total, failed, registry, counts = (
                pipe.execute()
            )
        return build_snapshot(
            dict(zip(queues, waiting, strict=True)), delayed, delayed_total, failed,
            failed_total, self._workers(registry, now),
            Throughput.from_counts(counts, minute_of(now), now),
        )

    def workers(self) -> list[WorkerInfo]:
        """The registered workers, each with what it holds (two round trips)."""
        registry: list[tuple[str, float]] = self.redis.zrange(  # type: ignore[assignment]
            self.keys.workers, 0, -1, withscores=True
        )
        return self._workers(registry, time.time())

    def check_invariant(self, job_ids: Sequence[str], queues: Sequence[str]) -> InvariantCheck:
        """Find each job's places in one MULTI, so none is seen mid-move (jobs/invariant.py)."""
        workers = [str(worker_id) for worker_id in self.redis.zrange(self.keys.workers, 0, -1)]
        for attempt in range(1, INVARIANT_TRIES + 1):
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrange(self.keys.workers, 0, -1)
                # LIST_LIMIT + 1 entries each: one more than the limit shows it was passed.
                for name in queues:
                    pipe.lrange(self.keys.queue(name), 0, LIST_LIMIT)
                pipe.zrange(self.keys.delayed, 0, LIST_LIMIT)
                for worker_id in workers:
                    pipe.lrange(self.keys.processing(worker_id), 0, LIST_LIMIT)
                pipe.lrange(self.keys.failed, 0, LIST_LIMIT)
                for job_id in job_ids:
                    pipe.hget(self.keys.job(job_id), "state")
                registry, *replies = pipe.execute()
            if list(registry) == workers:
                return places_of(job_ids, queues, workers, replies, round_trips=1 + attempt)
            workers = list(registry)  # a worker came or went: its list was not read
        return InvariantCheck([], 1 + INVARIANT_TRIES, "the workers kept changing; check again")

    def handler_stats(self) -> dict[str, HandlerStats]:
        """Totals per handler: processed, failed, seconds, duration histogram."""
        by_handler: dict[str, dict[str, str]] = {}
        for name, value in self.redis.hgetall(self.keys.handler_stats).items():
            handler, _, field = str(name).partition(":")
            by_handler.setdefault(handler, {})[field] = str(value)
        return {h: HandlerStats.from_fields(f) for h, f in sorted(by_handler.items())}

    def _workers(self, registry: list[tuple[str, float]], now: float) -> list[WorkerInfo]:
        """What each registered worker holds and the queues it serves (one round trip)."""
        if not registry:
            return []
        with self.redis.pipeline(transaction=False) as pipe:
            for worker_id, _ in registry:
                pipe.lrange(self.keys.processing(worker_id), 0, LIST_LIMIT - 1)
                pipe.hget(self.keys.worker(worker_id), "queues")
            replies = pipe.execute()
        return [
            WorkerInfo(
                worker_id, max(0.0, now - float(beat)),
                [parse_entry(raw) for raw in holding],
                queues.split(",") if queues else None,
            )
            for (worker_id, beat), holding, queues in zip(
                registry, replies[0::2], replies[1::2], strict=True
            )
        ]

    def _counter_keys(self, minute_now: int, minutes: int) -> list[str]:
        """The processed, then the failed per-minute counters of the last minutes, oldest first."""
        span = range(minute_now - minutes + 1, minute_now + 1)
        return [self.keys.stats(kind, m) for kind in ("processed", "failed") for m in span]
