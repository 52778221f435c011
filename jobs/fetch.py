"""Reliable fetch: how a worker takes jobs without ever losing one, in few round trips.

The lesson's worker BLPOPs a job: if it dies while the job runs, the job is gone. Here a
job moves (LMOVE, atomically) from its queue into the worker's own processing list for
that queue, `queue:processing:<name>:<worker>`, and stays there until its outcome is
recorded. A worker that dies leaves its jobs there, and the reaper (jobs/registry.py)
gives them back.

The rest of this module is throughput; a reader following the lesson can skip it.
1. One round trip, a pipeline of scripts, records the outcomes of the jobs finished since
   the last fetch (jobs/outcomes.py), moves due delayed jobs onto the served queues
   (migrate_delayed.lua) and takes up to `Prefetch.count()` jobs (take.lua); a second
   counts each taken job's attempt and marks it running (start.lua).
2. The prefetch count adapts: as many jobs as run in about `prefetch_seconds`, one when
   jobs are slow, so fast jobs share round trips and slow ones are left to other workers.
3. Outcomes wait for the next fetch, but never longer than `prefetch_seconds`: a thread
   (PendingOutcomes) sends older ones, so a slow job does not hold up the others' results.
4. With nothing to take, it blocks on all its queues at once, for at most `block_timeout`
   seconds, less when a delayed job falls due sooner. It waits on each queue's marker,
   `queue:marker:<name>` (jobs/wakeup.py): every script that adds a job to a queue sets
   its marker to 0, and every one that delays a job sets it to the due time if that is the
   earliest. So a job on any queue wakes the worker at once, and a delayed job dispatched
   to fall due before the wait ends shortens it; the queue lists hold only jobs.
5. While Redis is unreachable it tries again with backoff; once Redis is back, it records
   what finished and gives back what it holds, since a fetch whose reply was lost may
   have moved jobs into its list that it never saw.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace

from jobs.client import migrate_delayed_call
from jobs.connection import UNREACHABLE, RedisClient
from jobs.keys import Keys
from jobs.outcomes import Malformed, Outcome, Requeue, Taken, calls_for
from jobs.pending import PendingOutcomes, count_stale, warn_stale
from jobs.registry import WorkerRegistry
from jobs.scripts import Call, Scripts
from jobs.wakeup import MarkerWait

log = logging.getLogger(__name__)

REDIS_TICK_SECONDS = 0.1  # 1 / Redis's default hz: how late a blocking command may time out
FOREVER_SECONDS = 1e12  # a heartbeat "older than this" cutoff that every worker meets


class Fetcher:
    """Takes jobs into one worker's processing lists, and records what became of them."""

    def __init__(
        self, redis: RedisClient, keys: Keys, registry: WorkerRegistry, stopping: threading.Event,
        *, block_timeout: float, prefetch_seconds: float, max_prefetch: int,
    ) -> None:
        self.redis, self.keys, self.registry, self.stopping = redis, keys, registry, stopping
        self.worker_id = registry.worker_id
        self.scripts = Scripts(redis)
        self.block_timeout = block_timeout
        self.prefetch = Prefetch(prefetch_seconds, max_prefetch)
        self.pending = PendingOutcomes(self._send, prefetch_seconds)
        self._next_due_at: float | None = None
        self._wait: MarkerWait | None = None
        self.lost_redis = False
        self._pause_seconds = 0.0

    def fetch(self, queues: Sequence[str], wait: bool) -> list[Taken]:
        """Take the next jobs, their attempts counted; with wait, block a while if none."""
        while not self.stopping.is_set():
            try:
                if self.lost_redis:
                    self._recover(queues)
                taken = self._take(queues)
                if not taken and wait:
                    self._block(queues)
                self._pause_seconds = 0.0
                return self._start(taken)
            except UNREACHABLE as error:
                self.lost_redis = True
                self._pause_seconds = min(max(self._pause_seconds * 2, 0.1), 5.0)
                log.warning("Redis unreachable (%s); retrying in %.1f s",
                            error, self._pause_seconds)
                self.stopping.wait(self._pause_seconds)
        return []

    def record(self, outcome: Outcome) -> None:
        """Hold an outcome for the next fetch (or the thread) to record."""
        if outcome.seconds is not None:
            self.prefetch.learn(outcome.seconds)
        self.pending.add(outcome)

    def give_back(self, taken: Sequence[Taken]) -> None:
        """Jobs taken and never started (the worker is stopping): back to the front of
        their queues, in their order, their attempts not counted."""
        now = self.registry.clock.now()
        for item in reversed(taken):  # each goes onto the front: last first keeps the order
            self.pending.add(
                Requeue(item.raw, item.job, self.worker_id) if item.job
                else Malformed(item.raw, item.queue, self.worker_id, item.malformed or "", now)
            )

    def start(self) -> None:
        self.pending.start()

    def stop(self) -> None:
        """Record every pending outcome; if Redis is gone, leave the jobs to the reaper."""
        if self._wait is not None:
            self._wait.close()
        self.pending.stop()
        try:
            stale = self.pending.flush()
        except UNREACHABLE as error:
            log.error("Could not record the last outcomes (%s): their jobs will run again", error)
            return
        warn_stale(stale)

    def _take(self, queues: Sequence[str]) -> list[Taken]:
        outcomes = self.pending.take()
        now, count = self.registry.clock.now(), self.prefetch.count()
        groups = self.keys.slot_groups(queues)
        calls = [*calls_for(outcomes, self.keys),
                 *(migrate_delayed_call(self.keys, group, now) for group in groups),
                 *(self._take_call(group, count) for group in groups)]
        try:
            replies = self.scripts.run(calls)
        except UNREACHABLE:
            self.pending.give_back(outcomes)
            raise
        recorded = replies[: len(calls) - 2 * len(groups)]
        migrated, taken = replies[len(recorded) : -len(groups)], replies[-len(groups) :]
        warn_stale(count_stale(recorded))
        due = [float(next_due) for _, next_due in migrated if next_due]
        self._next_due_at = min(due) if due else None
        # On a cluster each queue is taken from in a call of its own, each up to count.
        return [Taken.parse(raw, queue)
                for group, per_queue in zip(groups, taken, strict=True)
                for queue, raws in zip(group, per_queue, strict=True) for raw in raws]

    def _take_call(self, queues: Sequence[str], count: int) -> Call:
        keys = [key for queue in queues for key in (
            self.keys.queue(queue), self.keys.processing(queue, self.worker_id),
            self.keys.marker(queue))]
        return Call("take", keys, [count])

    def _block(self, queues: Sequence[str]) -> None:
        """Block until a queue has a job, a delayed job falls due, or block_timeout passes."""
        timeout = self.block_timeout
        if self._next_due_at is not None:
            due_in = self._next_due_at - self.registry.clock.now()
            if due_in <= REDIS_TICK_SECONDS:
                # Redis ends a blocking wait only on its tick (hz 10: every 100 ms), so a
                # job due sooner is waited for here, to start on time.
                self.stopping.wait(max(due_in, 0.0))
                return
            timeout = min(timeout, due_in - REDIS_TICK_SECONDS)
        if self._wait is None:  # the worker serves the same queues until it stops
            self._wait = MarkerWait(self.redis, [self.keys.marker(q) for q in queues],
                                    one_slot=len(self.keys.slot_groups(queues)) == 1)
        # Whatever woke it, the next fetch takes the job, or learns the new due time.
        self._wait.wait(timeout)

    def _start(self, taken: list[Taken]) -> list[Taken]:
        """Count an attempt for each job taken and mark it running (start.lua)."""
        jobs = [item.job for item in taken if item.job is not None]
        if not jobs:
            return taken
        started_at = self.registry.clock.now()
        queues = list(dict.fromkeys(job.queue for job in jobs))
        groups = [[job for job in jobs if job.queue in group]
                  for group in self.keys.slot_groups(queues)]
        calls = [Call("start", [self.keys.job(job.queue, job.id) for job in group],
                      [repr(started_at), self.worker_id, *(job.attempts for job in group)])
                 for group in groups]
        # One call is sent as a plain command, a little cheaper than a pipeline of one.
        replies = [self.scripts.call(calls[0])] if len(calls) == 1 else self.scripts.run(calls)
        counted = {id(job): int(attempts) for group, counts in zip(groups, replies, strict=True)
                   for job, attempts in zip(group, counts, strict=True)}
        return [replace(item, job=replace(item.job, attempts=counted[id(item.job)]))
                if item.job is not None else item for item in taken]

    def _send(self, outcomes: list[Outcome]) -> int:
        """Record outcomes in one round trip; return how many were stale."""
        if not outcomes:
            return 0
        return count_stale(self.scripts.run(calls_for(outcomes, self.keys)))

    def _recover(self, queues: Sequence[str]) -> None:
        self.pending.flush()
        returned, failed = self.registry.reap(self.worker_id, FOREVER_SECONDS, queues)
        self.registry.register(queues)
        self.lost_redis = False
        log.warning("Redis is back: %d held jobs back on their queues, %d failed", returned, failed)


class Prefetch:
    """How many jobs to take per fetch: as many as run in about prefetch_seconds, from a
    moving average of durations; one until a duration is known."""

    def __init__(self, prefetch_seconds: float, max_prefetch: int) -> None:
        self.prefetch_seconds = prefetch_seconds
        self.max_prefetch = max_prefetch
        self.seconds_per_job = 0.0

    def count(self) -> int:
        if self.seconds_per_job <= 0:
            return 1
        return max(1, min(self.max_prefetch, int(self.prefetch_seconds / self.seconds_per_job)))

    def learn(self, seconds: float) -> None:
        """Take in a job's duration: a few slow jobs quickly shrink the count."""
        if self.seconds_per_job <= 0:
            self.seconds_per_job = seconds
        else:
            self.seconds_per_job = 0.8 * self.seconds_per_job + 0.2 * seconds
