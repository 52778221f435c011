"""QueueClient: the Redis commands that move jobs through the queue (reads: jobs/monitor.py)."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from redis import Redis

from jobs.job import Job, JobState, MalformedJob
from jobs.keys import Keys
from jobs.outcomes import Ack, Fail, Outcome, Requeue, Retry
from jobs.scripts import Call, Scripts
from jobs.stats import MINUTE_COUNTER_SECONDS, minute_of

# How many due delayed jobs one migrate_delayed call moves at most.
MIGRATE_LIMIT = 1000
# What push leaves on a queue to wake a blocked worker for a delayed job due before the
# others (not JSON, so never mistaken for a job); the worker drops it.
WAKE_UP = "wake-up"


def connect(url: str, **options: Any) -> Redis:
    """Return a Redis client for the queue: replies as str, any bytes kept as they are.

    surrogateescape lets data that is not UTF-8 (a poison message) come back as a str that
    encodes to the very same bytes, so the scripts can still find it and move it to failed.
    """
    return Redis.from_url(
        url, decode_responses=True, encoding_errors="surrogateescape", **options
    )


@dataclass(frozen=True)
class Taken:
    """Data a worker took from a queue: the exact string (its identity in the lists) and the job."""

    raw: str
    job: Job | None
    malformed: str | None = None


@dataclass(frozen=True)
class Fetched:
    """What one fetch round trip brought back."""

    taken: list[Taken]
    next_due_at: float | None
    stale: int


class QueueClient:
    """Sends every Redis command of the queue.

    1. push puts a job on its queue, or in the delayed set, with its state hash.
    2. pop and pop_many move jobs from queues into this worker's processing list, so a
       job is always in exactly one list; start counts the attempt and marks them running.
    3. record runs the scripts that take a job off the processing list while recording
       its outcome (ack, retry, fail, requeue), many jobs in one round trip.
    """

    def __init__(self, redis: Redis, prefix: str = "queue:", worker_id: str = "") -> None:
        encoder = redis.get_encoder()
        if not encoder.decode_responses or encoder.encoding_errors != "surrogateescape":
            raise ValueError(
                "QueueClient needs a Redis client made by jobs.connect(url), or with "
                "decode_responses=True and encoding_errors='surrogateescape'"
            )
        self.redis = redis
        self.keys = Keys(prefix)
        self.worker_id = worker_id
        self.processing = self.keys.processing(worker_id)
        self.scripts = Scripts(redis)

    def push(self, queue: str, job: Job, delay_seconds: float = 0.0) -> bool:
        """Queue a job now, or after delay_seconds, and record its state (one round trip).

        Return False, and change nothing, if a job with its id was pushed before.
        """
        return bool(self.scripts.call(self._push_call(queue, job, delay_seconds)))

    def push_all(self, pushes: Sequence[tuple[Job, float]]) -> list[bool]:
        """Push several jobs, each with its delay, in one round trip; True for each new one."""
        calls = [self._push_call(job.queue, job, delay) for job, delay in pushes]
        return [bool(pushed) for pushed in self.scripts.run(calls)] if calls else []

    def push_many(self, queue: str, handler: str, jobs: Sequence[Job]) -> int:
        """Queue many new jobs of one handler on one queue in one round trip; return how
        many were new (a job whose id was pushed before is skipped)."""
        if not jobs:
            return 0
        keys = [self.keys.queue(queue), *(self.keys.job(job.id) for job in jobs)]
        args = [repr(time.time()), queue, handler, *(job.to_json() for job in jobs)]
        return int(self.scripts.call(Call("push_many", keys, args)))

    def pop(self, queue: str, timeout: float) -> Taken | None:
        """Wait up to timeout seconds for one job and move it into this worker's list."""
        source = self.keys.queue(queue)
        # redis-py types the timeout as int; Redis 6+ takes fractions of a second.
        raw = self.redis.blmove(source, self.processing, timeout, "LEFT", "RIGHT")  # type: ignore[arg-type]
        if raw == WAKE_UP:  # a delayed job is due sooner than the caller was waiting for
            self.redis.lrem(self.processing, -1, WAKE_UP)
            return None
        return _parse(str(raw)) if raw is not None else None

    def pop_many(
        self, queues: Sequence[str], count: int, outcomes: Sequence[Outcome] = ()
    ) -> Fetched:
        """Record outcomes, move due delayed jobs, take up to count jobs: one round trip."""
        pop = Call("pop", [self.processing, *map(self.keys.queue, queues)], [count, WAKE_UP])
        calls = [*self._outcome_calls(outcomes), self._migrate_call(queues), pop]
        *recorded, (_, next_due), raws = self.scripts.run(calls)
        return Fetched(
            taken=[_parse(raw) for raw in raws],
            next_due_at=float(next_due) if next_due else None,
            stale=_count_stale(recorded),
        )

    def start(self, jobs: Sequence[Job]) -> list[int]:
        """Count an attempt for each job and mark it running; return their attempt numbers."""
        keys = [self.keys.job(job.id) for job in jobs]
        args = [repr(time.time()), self.worker_id, *(job.attempts for job in jobs)]
        result = self.scripts.call(Call("start", keys, args))
        return [int(n) for n in result]

    def record(self, outcomes: Sequence[Outcome]) -> int:
        """Record outcomes in one round trip; return how many were stale (not recorded)."""
        if not outcomes:
            return 0
        return _count_stale(self.scripts.run(self._outcome_calls(outcomes)))

    def migrate_delayed(self, queues: Sequence[str]) -> int:
        """Move due delayed jobs of these queues onto them; return how many moved."""
        ((moved, _),) = self.scripts.run([self._migrate_call(queues)])
        return int(moved)

    def states(self, job_ids: Sequence[str]) -> list[JobState | None]:
        """Read the state of each job in one round trip; None where nothing is known."""
        with self.redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hgetall(self.keys.job(job_id))
            hashes: list[dict[str, str]] = pipe.execute()
        now = time.time()
        return [
            JobState.from_hash(job_id, fields, now) if fields else None
            for job_id, fields in zip(job_ids, hashes, strict=True)
        ]

    def register(self, queues: Sequence[str]) -> None:
        """Record this worker as alive now, and what it serves (for dashboards)."""
        description = {
            "queues": ",".join(queues), "pid": str(os.getpid()), "host": socket.gethostname(),
            "started_at": repr(time.time()),
        }
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.keys.workers, {self.worker_id: time.time()})
            # redis-py's type for mapping wants a Mapping of a union, not of str.
            pipe.hset(self.keys.worker(self.worker_id), mapping=description)  # type: ignore[arg-type]
            pipe.execute()

    def heartbeat(self) -> None:
        """Record this worker as alive now."""
        self.redis.zadd(self.keys.workers, {self.worker_id: time.time()})

    def lock_reaper(self, seconds: float) -> bool:
        """Become the one reaper for `seconds`, unless another worker is."""
        ttl_ms = max(1, int(seconds * 1000))
        return bool(self.redis.set(self.keys.reaper, self.worker_id, nx=True, px=ttl_ms))

    def dead_workers(self, dead_before: float) -> list[str]:
        """Ids of registered workers whose last heartbeat is older than dead_before."""
        return [str(w) for w in self.redis.zrangebyscore(self.keys.workers, "-inf", dead_before)]

    def reap(self, worker_id: str, dead_before: float, max_recoveries: int) -> tuple[int, int]:
        """Give a dead worker's jobs back to their queues; return (returned, failed).

        A job abandoned more than max_recoveries times goes to the failed list instead,
        so a job that crashes every worker that runs it cannot loop forever.
        """
        processing = self.keys.processing(worker_id)
        raws = [str(raw) for raw in self.redis.lrange(processing, 0, -1)]
        held = [_parse(raw) for raw in raws if raw != WAKE_UP]  # reap.lua drops markers
        now = time.time()
        jobs = [taken.job for taken in held if taken.job is not None]
        raws = [taken.raw for taken in held if taken.job is not None]
        error = f"abandoned {max_recoveries + 1} times"
        keys = [self.keys.workers, processing, self.keys.failed, self.keys.worker(worker_id)]
        args: list[Any] = []
        # Each goes back onto the front of its queue: last first keeps their order.
        for raw, job in zip(reversed(raws), reversed(jobs), strict=True):
            keys += [self.keys.queue(job.queue), self.keys.job(job.id)]
            args += [raw, failed_entry(job, error, now)]
        reap = Call("reap", keys,
                    [worker_id, repr(dead_before), max_recoveries, repr(now), WAKE_UP, *args])
        (result,) = self.scripts.run([reap])
        if not result:
            return 0, 0  # alive after all: nothing was touched
        returned, failed = int(result[0]), int(result[1])
        malformed = [
            self._outcome_call(malformed_failure(taken, now), processing)
            for taken in held if not taken.job
        ]
        if malformed:
            # Rare (a worker died holding data that is not a job): fail it, then reap again,
            # now with nothing held, to take the worker off the registry.
            failed += _count_recorded(self.scripts.run(malformed))
            self.scripts.run([Call("reap", keys[:4], [worker_id, repr(dead_before), max_recoveries,
                                               repr(now), WAKE_UP])])
        return returned, failed

    def failed(self, start: int = 0, stop: int = -1) -> list[str]:
        """Entries of the failed list, oldest first."""
        return [str(entry) for entry in self.redis.lrange(self.keys.failed, start, stop)]

    def retry_failed(self, entries: Sequence[tuple[str, Job]]) -> int:
        """Queue these failed jobs again, attempts reset; return how many were still there."""
        now = repr(time.time())
        calls = [
            Call("retry_failed",
                 [self.keys.failed, self.keys.queue(job.queue), self.keys.job(job.id)],
                 [entry, replace(job, attempts=0).to_json(), now])
            for entry, job in entries
        ]
        return sum(int(result) for result in self.scripts.run(calls)) if calls else 0

    def purge_failed(self, entries: Sequence[tuple[str, str | None]]) -> int:
        """Delete failed entries (raw entry, job id or None) and their state; return how many."""
        with self.redis.pipeline(transaction=True) as pipe:
            for entry, job_id in entries:
                pipe.lrem(self.keys.failed, 1, entry)
                if job_id:
                    pipe.delete(self.keys.job(job_id))
            results = iter(pipe.execute())
        removed = 0
        for _, job_id in entries:
            removed += next(results)  # the LREM's count; the DEL's result follows it
            if job_id:
                next(results)
        return removed

    def _push_call(self, queue: str, job: Job, delay_seconds: float) -> Call:
        if queue != job.queue:
            raise ValueError(f"job {job.id} belongs to queue {job.queue!r}, not {queue!r}")
        if delay_seconds > 0:
            due_at = repr(time.time() + delay_seconds)
            keys = [self.keys.delayed, self.keys.job(job.id), self.keys.queue(queue)]
            return Call("push", keys, [job.to_json(), due_at, WAKE_UP])
        return Call("push", [self.keys.queue(queue), self.keys.job(job.id)], [job.to_json()])

    def _migrate_call(self, queues: Sequence[str]) -> Call:
        keys = [self.keys.delayed, self.keys.failed, *map(self.keys.queue, queues)]
        return Call("migrate_delayed", keys, [repr(time.time()), MIGRATE_LIMIT, *queues])

    def _outcome_calls(self, outcomes: Sequence[Outcome]) -> list[Call]:
        """One ack call for all successes (one script run), one call per other outcome."""
        calls = []
        acks = [outcome for outcome in outcomes if isinstance(outcome, Ack)]
        if acks:
            minute = self.keys.stats("processed", minute_of(time.time()))
            keys = [self.processing, minute, self.keys.handler_stats,
                    *(self.keys.job(ack.job_id) for ack in acks)]
            args = [acks[0].keep_seconds, MINUTE_COUNTER_SECONDS,
                    *(value for ack in acks for value in ack.args())]
            calls.append(Call("ack", keys, args))
        calls += [self._outcome_call(o) for o in outcomes if not isinstance(o, Ack)]
        return calls

    def _outcome_call(self, outcome: Retry | Fail | Requeue, processing: str = "") -> Call:
        """The call recording one outcome; processing: the list holding it, if not ours."""
        keys, held_in = self.keys, processing or self.processing
        if isinstance(outcome, Retry):
            job_keys = [held_in, keys.delayed, keys.job(outcome.job_id)]
        elif isinstance(outcome, Fail):
            minute = keys.stats("failed", minute_of(outcome.finished_at))
            job_keys = [held_in, keys.failed, minute, keys.handler_stats]
            if outcome.job_id:
                job_keys.append(keys.job(outcome.job_id))
        else:
            job_keys = [held_in, keys.queue(outcome.queue), keys.job(outcome.job_id)]
        return Call(outcome.script, job_keys, outcome.args())


def failed_entry(job: Job, error: str, failed_at: float) -> str:
    """The failed list's entry for a job: its JSON plus error and failed_at, as in the lesson."""
    return json.dumps({**job.to_dict(), "error": error, "failed_at": failed_at})


def malformed_failure(taken: Taken, failed_at: float) -> Fail:
    """The outcome of data that is not a job: to the failed list as it came, with why."""
    reason = f"Malformed job: {taken.malformed}"
    # The stdlib json, not orjson: the raw data may hold bytes that are not UTF-8.
    entry = json.dumps({"raw": taken.raw, "error": reason, "failed_at": failed_at})
    return Fail(taken.raw, None, entry, reason, "", failed_at, failed_at)


def _parse(raw: str) -> Taken:
    try:
        return Taken(raw, Job.from_json(raw))
    except MalformedJob as error:
        return Taken(raw, None, str(error))


def _count_recorded(results: list[Any]) -> int:
    return sum(int(result) for result in results)


def _count_stale(results: list[Any]) -> int:
    """Count the outcomes a script refused because the job was no longer held."""
    flags: list[Any] = []
    for result in results:
        flags += result if isinstance(result, list) else [result]
    return flags.count(0)
