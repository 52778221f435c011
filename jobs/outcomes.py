"""What became of a job a worker took; each outcome builds the script call that records it.

Every call takes the job off the processing list that holds it (the worker's list for the
job's queue) in the same step that records the outcome, so a job is always in exactly one
list. A job no longer in that list
was taken back (its worker was judged dead): the script then records nothing and answers
0, and the outcome is stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import ClassVar, Protocol

from jobs.job import Job, MalformedJob, dumps
from jobs.keys import Keys
from jobs.scripts import Call
from jobs.stats import MINUTE_COUNTER_SECONDS, bucket_of, minute_of


@dataclass(frozen=True)
class Taken:
    """Data a worker took from a queue: the exact string (its identity in the lists), the
    queue it came from, and the job it holds, or why it is not a job."""

    raw: str
    queue: str
    job: Job | None
    malformed: str | None = None

    @classmethod
    def parse(cls, raw: str, queue: str) -> Taken:
        """What was taken from queue: the job it holds, or why it is not one.

        The job belongs to the queue it was taken from, whatever its JSON says: that is
        where its state hash and its worker's processing list are.
        """
        try:
            job = Job.from_json(raw)
        except MalformedJob as error:
            return cls(raw, queue, None, str(error))
        return cls(raw, queue, job if job.queue == queue else replace(job, queue=queue))


@dataclass(frozen=True)
class Attempt:
    """One run of a job's handler: the job as taken, the worker that ran it, and when."""

    raw: str
    job: Job
    worker_id: str
    started_at: float
    finished_at: float

    @property
    def seconds(self) -> float:
        return self.finished_at - self.started_at

    def processing(self, keys: Keys) -> str:
        """The processing list that holds the job: its worker's, for its queue."""
        return keys.processing(self.job.queue, self.worker_id)

    def history_entry(self, outcome: str, error: str | None) -> str:
        """This attempt as the job's hash keeps it, in its next `run:<n>` field."""
        return dumps({
            "attempt": self.job.attempts, "worker": self.worker_id,
            "started_at": self.started_at, "finished_at": self.finished_at,
            "outcome": outcome, "error": error,
        })


class Outcome(Protocol):
    """An outcome: what the worker counts it as, and the script call that records it."""

    counts_as: ClassVar[str]  # "processed", "retried", "failed", or "" for none

    @property
    def seconds(self) -> float | None:
        """How long the handler ran, or None if it did not run."""

    def call(self, keys: Keys) -> Call:
        """The call recording it and taking it off the processing list that holds it."""


@dataclass(frozen=True)
class Ack:
    """The job succeeded; its hash is kept keep_seconds more for the order page."""

    attempt: Attempt
    keep_seconds: int

    counts_as: ClassVar[str] = "processed"

    @property
    def seconds(self) -> float:
        return self.attempt.seconds

    def call(self, keys: Keys) -> Call:
        a, queue = self.attempt, self.attempt.job.queue
        minute = keys.stats(queue, "processed", minute_of(a.finished_at))
        return Call(
            "ack",
            [a.processing(keys), minute, keys.handler_stats(queue), keys.job(queue, a.job.id)],
            [self.keep_seconds, MINUTE_COUNTER_SECONDS, a.raw, a.history_entry("succeeded", None),
             repr(a.started_at), repr(a.finished_at), a.job.handler, bucket_of(a.seconds)],
        )


@dataclass(frozen=True)
class Retry:
    """The attempt failed; the job runs again delay_seconds after it ended."""

    attempt: Attempt
    error: str
    delay_seconds: float

    counts_as: ClassVar[str] = "retried"

    @property
    def seconds(self) -> float:
        return self.attempt.seconds

    @property
    def due_at(self) -> float:
        return self.attempt.finished_at + self.delay_seconds

    def call(self, keys: Keys) -> Call:
        a, queue = self.attempt, self.attempt.job.queue
        return Call(
            "retry",
            [a.processing(keys), keys.delayed(queue), keys.job(queue, a.job.id),
             keys.marker(queue)],
            [a.raw, a.job.to_json(), repr(self.due_at), self.error,
             a.history_entry("failed", self.error), repr(a.started_at), repr(a.finished_at)],
        )


@dataclass(frozen=True)
class Fail:
    """The job goes to the failed list for good."""

    attempt: Attempt
    error: str

    counts_as: ClassVar[str] = "failed"

    @property
    def seconds(self) -> float:
        return self.attempt.seconds

    def call(self, keys: Keys) -> Call:
        a, queue = self.attempt, self.attempt.job.queue
        return Call(
            "fail",
            [a.processing(keys), keys.failed(queue),
             keys.stats(queue, "failed", minute_of(a.finished_at)), keys.handler_stats(queue),
             keys.job(queue, a.job.id)],
            [a.raw, failed_entry(a.job, self.error, a.finished_at), self.error,
             a.history_entry("failed", self.error), repr(a.started_at), repr(a.finished_at),
             a.job.handler, MINUTE_COUNTER_SECONDS],
        )


@dataclass(frozen=True)
class Malformed:
    """Data that is not a job: to the failed list as it came, with the reason."""

    raw: str
    queue: str
    worker_id: str
    reason: str
    failed_at: float

    counts_as: ClassVar[str] = "failed"
    seconds: ClassVar[None] = None

    def call(self, keys: Keys) -> Call:
        error = f"Malformed job: {self.reason}"
        # The stdlib json, not orjson: the raw data may hold bytes that are not UTF-8.
        entry = json.dumps({"raw": self.raw, "error": error, "failed_at": self.failed_at})
        queue = self.queue
        return Call(
            "fail",
            [keys.processing(queue, self.worker_id), keys.failed(queue),
             keys.stats(queue, "failed", minute_of(self.failed_at)), keys.handler_stats(queue)],
            [self.raw, entry, error, "", repr(self.failed_at), repr(self.failed_at),
             "(malformed)", MINUTE_COUNTER_SECONDS],
        )


@dataclass(frozen=True)
class Requeue:
    """The job was taken but did not finish (the worker is stopping): back to the front of
    its queue, the attempt it was counted for taken back."""

    raw: str
    job: Job
    worker_id: str

    counts_as: ClassVar[str] = ""
    seconds: ClassVar[None] = None

    def call(self, keys: Keys) -> Call:
        job, queue = self.job, self.job.queue
        return Call("requeue", [keys.processing(queue, self.worker_id), keys.queue(queue),
                                keys.job(queue, job.id), keys.marker(queue)], [self.raw])


def failed_entry(job: Job, error: str, failed_at: float) -> str:
    """The failed list's entry for a job: its JSON plus error and failed_at, as in the lesson."""
    return json.dumps({**job.to_dict(), "error": error, "failed_at": failed_at})


# ack.lua's shared keys (processing list, minute counter, handler counters) and arguments
# (the two expiries), before each job's own.
_ACK_SHARED_KEYS, _ACK_SHARED_ARGS = 3, 2


def calls_for(outcomes: list[Outcome], keys: Keys) -> list[Call]:
    """The calls recording outcomes: the successes that share a processing list and a
    minute in one ack call (ack.lua takes any number, one script run for the lot), then one
    call for each other outcome."""
    calls = [outcome.call(keys) for outcome in outcomes]
    acks: dict[tuple[str, ...], list[Call]] = {}
    for call in calls:
        if call.script == "ack":
            acks.setdefault(tuple(call.keys[:_ACK_SHARED_KEYS]), []).append(call)
    merged = [
        Call("ack", first.keys + [key for call in rest for key in call.keys[_ACK_SHARED_KEYS:]],
             first.args + [arg for call in rest for arg in call.args[_ACK_SHARED_ARGS:]])
        for first, *rest in acks.values()
    ]
    return [*merged, *(call for call in calls if call.script != "ack")]
