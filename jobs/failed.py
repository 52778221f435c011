"""FailedList: the failed lists `queue:failed:<name>`, where jobs go when retrying cannot help.

Each queue has its own (a job moves to it in the same script that takes it off its
worker's list, and on a Redis Cluster a script's keys must share a slot). Each entry is
the job's JSON plus `error` and `failed_at`, as in the lesson; data that was not a job is
kept as `{"raw", "error", "failed_at"}`. People read them as one list, oldest first, queue
their jobs again (attempts reset) or drop them.
"""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from jobs.connection import RedisClient
from jobs.job import Job
from jobs.keys import Keys
from jobs.scripts import Call, Scripts

# What the failed list adds to a job's JSON, as in the lesson.
FAILED_FIELDS = ("error", "failed_at")


class JobNotFound(LookupError):
    """No job with that id is where it was looked for."""


@dataclass(frozen=True)
class Failed:
    """One failed entry: the queue whose list holds it, the entry as stored, and parsed."""

    queue: str
    raw: str
    entry: dict[str, Any]


class FailedList:
    """Reads the failed lists of some queues as one, and retries or drops entries, each
    atomically. Reading them is one round trip (one per node on a cluster)."""

    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = Scripts(redis)

    def entries(self, queues: Sequence[str], start: int = 0,
                stop: int = -1) -> list[dict[str, Any]]:
        """The entries, oldest first: job fields plus error and failed_at (or raw data)."""
        everything = [failed.entry for failed in self._all(queues)]
        return everything[start:] if stop == -1 else everything[start : stop + 1]

    def find(self, job_id: str, queues: Sequence[str]) -> dict[str, Any]:
        """The entry of one job, or raise JobNotFound."""
        return self._one(job_id, queues).entry

    def retry(self, job_id: str, queues: Sequence[str]) -> None:
        """Queue one failed job again with its attempts reset, or raise JobNotFound."""
        if not self._retry([self._one(job_id, queues)]):
            raise JobNotFound(f"No failed job with id {job_id}")

    def retry_all(self, queues: Sequence[str], handler: str | None = None) -> int:
        """Queue again every failed job (of one handler, if given); return how many."""
        return self._retry([
            failed for failed in self._all(queues)
            if "id" in failed.entry and (handler is None or failed.entry.get("handler") == handler)
        ])

    def delete(self, job_id: str, queues: Sequence[str]) -> None:
        """Drop one failed job and its state, or raise JobNotFound."""
        if not self._purge([self._one(job_id, queues)]):
            raise JobNotFound(f"No failed job with id {job_id}")

    def purge(self, queues: Sequence[str], handler: str | None = None) -> int:
        """Drop every failed entry (of one handler, if given); return how many."""
        return self._purge([
            failed for failed in self._all(queues)
            if handler is None or failed.entry.get("handler") == handler
        ])

    def _retry(self, entries: Sequence[Failed]) -> int:
        now = repr(time.time())
        calls = []
        for failed in entries:
            job = replace(_job_of(failed.entry), queue=failed.queue, attempts=0)
            keys = [self.keys.failed(job.queue), self.keys.queue(job.queue),
                    self.keys.job(job.queue, job.id), self.keys.marker(job.queue)]
            calls.append(Call("retry_failed", keys, [failed.raw, job.to_json(), now]))
        return sum(int(result) for result in self.scripts.run(calls)) if calls else 0

    def _purge(self, entries: Sequence[Failed]) -> int:
        """Delete entries and their jobs' state; return how many. One transaction per queue
        (on a cluster, one may only name keys of one slot)."""
        removed = 0
        for queue in dict.fromkeys(failed.queue for failed in entries):
            in_queue = [failed for failed in entries if failed.queue == queue]
            with self.redis.pipeline(transaction=True) as pipe:
                for failed in in_queue:
                    pipe.lrem(self.keys.failed(queue), 1, failed.raw)
                    job_id = failed.entry.get("id")
                    if isinstance(job_id, str):
                        pipe.delete(self.keys.job(queue, job_id))
                results = iter(pipe.execute())
            for failed in in_queue:
                removed += next(results)  # the LREM's count; the DEL's result follows it
                if isinstance(failed.entry.get("id"), str):
                    next(results)
        return removed

    def _all(self, queues: Sequence[str]) -> list[Failed]:
        """Every entry of these queues' failed lists, oldest first."""
        with self.redis.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.lrange(self.keys.failed(queue), 0, -1)
            lists = pipe.execute()
        # Each list is oldest first: merge them by time, each keeping its own order (an
        # entry without a time takes its predecessor's).
        per_queue = [_timed([Failed(queue, str(raw), json.loads(raw)) for raw in raws])
                     for queue, raws in zip(queues, lists, strict=True)]
        return [failed for _, failed in heapq.merge(*per_queue, key=lambda pair: pair[0])]

    def _one(self, job_id: str, queues: Sequence[str]) -> Failed:
        for failed in self._all(queues):
            if failed.entry.get("id") == job_id:
                return failed
        raise JobNotFound(f"No failed job with id {job_id}")


def _timed(entries: list[Failed]) -> list[tuple[float, Failed]]:
    """Each entry with its failed_at, or else the one before it's."""
    timed, last = [], 0.0
    for failed in entries:
        failed_at = failed.entry.get("failed_at")
        last = float(failed_at) if isinstance(failed_at, (int, float)) else last
        timed.append((last, failed))
    return timed


def _job_of(entry: dict[str, Any]) -> Job:
    """The job a failed entry was made from."""
    return Job.from_json(json.dumps({k: v for k, v in entry.items() if k not in FAILED_FIELDS}))
