"""FailedList: the failed list `queue:failed`, where jobs go when retrying cannot help.

Each entry is the job's JSON plus `error` and `failed_at`, as in the lesson; data that
was not a job is kept as `{"raw", "error", "failed_at"}`. People read it, queue its jobs
again (attempts reset) or drop them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from redis import Redis

from jobs.job import Job
from jobs.keys import Keys
from jobs.scripts import Call, Scripts

# What the failed list adds to a job's JSON, as in the lesson.
FAILED_FIELDS = ("error", "failed_at")


class JobNotFound(LookupError):
    """No job with that id is where it was looked for."""


class FailedList:
    """Reads the failed list, and retries or drops its entries, each atomically."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = Scripts(redis)

    def entries(self, start: int = 0, stop: int = -1) -> list[dict[str, Any]]:
        """The entries, oldest first: job fields plus error and failed_at (or raw data)."""
        return [json.loads(raw) for raw in self._raw(start, stop)]

    def find(self, job_id: str) -> dict[str, Any]:
        """The entry of one job, or raise JobNotFound."""
        return self._one(job_id)[1]

    def retry(self, job_id: str) -> None:
        """Queue one failed job again with its attempts reset, or raise JobNotFound."""
        if not self._retry([self._one(job_id)]):
            raise JobNotFound(f"No failed job with id {job_id}")

    def retry_all(self, handler: str | None = None) -> int:
        """Queue again every failed job (of one handler, if given); return how many."""
        return self._retry([
            (raw, entry) for raw, entry in self._all()
            if "id" in entry and (handler is None or entry.get("handler") == handler)
        ])

    def delete(self, job_id: str) -> None:
        """Drop one failed job and its state, or raise JobNotFound."""
        raw, _ = self._one(job_id)
        if not self._purge([(raw, job_id)]):
            raise JobNotFound(f"No failed job with id {job_id}")

    def purge(self, handler: str | None = None) -> int:
        """Drop every failed entry (of one handler, if given); return how many."""
        return self._purge([
            (raw, entry.get("id")) for raw, entry in self._all()
            if handler is None or entry.get("handler") == handler
        ])

    def _retry(self, entries: Sequence[tuple[str, dict[str, Any]]]) -> int:
        now = repr(time.time())
        calls = []
        for raw, entry in entries:
            job = replace(_job_of(entry), attempts=0)
            keys = [self.keys.failed, self.keys.queue(job.queue), self.keys.job(job.id),
                    self.keys.marker(job.queue)]
            calls.append(Call("retry_failed", keys, [raw, job.to_json(), now]))
        return sum(int(result) for result in self.scripts.run(calls)) if calls else 0

    def _purge(self, entries: Sequence[tuple[str, str | None]]) -> int:
        """Delete entries (raw entry, job id or None) and their state; return how many."""
        with self.redis.pipeline(transaction=True) as pipe:
            for raw, job_id in entries:
                pipe.lrem(self.keys.failed, 1, raw)
                if job_id:
                    pipe.delete(self.keys.job(job_id))
            results = iter(pipe.execute())
        removed = 0
        for _, job_id in entries:
            removed += next(results)  # the LREM's count; the DEL's result follows it
            if job_id:
                next(results)
        return removed

    def _raw(self, start: int = 0, stop: int = -1) -> list[str]:
        return [str(entry) for entry in self.redis.lrange(self.keys.failed, start, stop)]

    def _all(self) -> list[tuple[str, dict[str, Any]]]:
        return [(raw, json.loads(raw)) for raw in self._raw()]

    def _one(self, job_id: str) -> tuple[str, dict[str, Any]]:
        for raw, entry in self._all():
            if entry.get("id") == job_id:
                return raw, entry
        raise JobNotFound(f"No failed job with id {job_id}")


def _job_of(entry: dict[str, Any]) -> Job:
    """The job a failed entry was made from."""
    return Job.from_json(json.dumps({k: v for k, v in entry.items() if k not in FAILED_FIELDS}))
