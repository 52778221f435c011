"""What became of a job a worker took: each outcome names the script that records it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobs.stats import MINUTE_COUNTER_SECONDS, bucket_of


@dataclass(frozen=True)
class Ack:
    """The job succeeded."""

    raw: str
    job_id: str
    record: str  # the attempt's record: JSON with attempt, worker, times, outcome, error
    started_at: float
    finished_at: float
    keep_seconds: int
    handler: str = ""

    script = "ack"

    def args(self) -> list[Any]:
        seconds = self.finished_at - self.started_at
        return [self.raw, self.record, repr(self.started_at),
                repr(self.finished_at), self.handler, bucket_of(seconds)]


@dataclass(frozen=True)
class Retry:
    """The attempt failed; the job runs again at due_at."""

    raw: str
    job_id: str
    next_raw: str
    due_at: float
    error: str
    record: str
    started_at: float
    finished_at: float

    script = "retry"

    def args(self) -> list[Any]:
        return [self.raw, self.next_raw, repr(self.due_at), self.error,
                self.record, repr(self.started_at), repr(self.finished_at)]


@dataclass(frozen=True)
class Fail:
    """The job goes to the failed list for good; job_id is None for data that is not a job."""

    raw: str
    job_id: str | None
    entry: str
    error: str
    record: str
    started_at: float
    finished_at: float
    handler: str = "(malformed)"

    script = "fail"

    def args(self) -> list[Any]:
        return [self.raw, self.entry, self.error, self.record,
                repr(self.started_at), repr(self.finished_at), self.handler,
                MINUTE_COUNTER_SECONDS]


@dataclass(frozen=True)
class Requeue:
    """The job was taken but did not finish (the worker is stopping): back to its queue."""

    raw: str
    job_id: str
    queue: str

    script = "requeue"

    def args(self) -> list[Any]:
        return [self.raw]


Outcome = Ack | Retry | Fail | Requeue
