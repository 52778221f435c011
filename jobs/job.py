"""A job as it travels through Redis (JSON), and a job's state as the order page reads it."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from jobs.keys import check_job_id, check_queue_name

# orjson rather than json on the hot path (each dispatch, each job a worker runs): several
# times faster. The passthrough options make it refuse, as json does, what is not plain
# JSON data (datetimes, dataclasses, subclasses) instead of quietly converting it.
_PLAIN_JSON_ONLY = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def dumps(value: Any) -> str:
    """Compact JSON text of plain data (dict, list, str, int, float, bool, None)."""
    return orjson.dumps(value, option=_PLAIN_JSON_ONLY).decode()

# A job's states, as kept in its `queue:job:<id>` hash: queued, delayed, running,
# retrying, and these two, after which nothing happens to it unless someone retries it.
FINAL_STATES = frozenset({"succeeded", "failed"})


class MalformedJob(ValueError):
    """Raised for data in a queue that is not a job: it goes to the failed queue as it is."""


@dataclass(frozen=True)
class Job:
    """One unit of work: which handler runs it, with what payload, on which queue."""

    handler: str
    payload: dict[str, Any]
    queue: str
    id: str = field(default_factory=lambda: secrets.token_hex(16))
    attempts: int = 0
    created_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies the payload, a third of dispatch's time.
        return {
            "handler": self.handler, "payload": self.payload, "queue": self.queue,
            "id": self.id, "attempts": self.attempts, "created_at": self.created_at,
        }

    def to_json(self) -> str:
        """Serialise for Redis; the exact string is the job's identity in the lists."""
        return dumps(self.to_dict())

    @classmethod
    def from_json(cls, raw: str) -> Job:
        """Parse a job read from Redis, or raise MalformedJob saying what is wrong."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise MalformedJob(f"not JSON: {error}") from None
        if not isinstance(data, dict):
            raise MalformedJob("not a JSON object")
        checks = {"id": str, "handler": str, "queue": str, "payload": dict}
        for name, kind in checks.items():
            if not isinstance(data.get(name), kind):
                raise MalformedJob(f"field {name!r} missing or not a {kind.__name__}")
        attempts, created_at = data.get("attempts", 0), data.get("created_at", 0.0)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
            raise MalformedJob("field 'attempts' is not a whole number of at least 0")
        if isinstance(created_at, bool) or not isinstance(created_at, int | float):
            raise MalformedJob("field 'created_at' is not a number")
        try:
            check_queue_name(data["queue"])
        except ValueError as error:
            raise MalformedJob(str(error)) from None
        return cls(
            handler=data["handler"],
            payload=data["payload"],
            queue=data["queue"],
            id=data["id"],
            attempts=attempts,
            created_at=float(created_at),
        )


def new_job(
    queue: str, handler: str, payload: dict[str, Any], job_id: str | None = None
) -> Job:
    """A job to dispatch, its arguments checked: a ValueError or TypeError names the bad one."""
    check_queue_name(queue)
    if not handler or not isinstance(handler, str):
        raise ValueError(f"handler must be a non-empty string, got {handler!r}")
    if not isinstance(payload, dict):
        raise TypeError(f"payload must be a dict, got {type(payload).__name__}")
    if job_id is None:
        return Job(handler=handler, payload=payload, queue=queue)
    return Job(handler=handler, payload=payload, queue=queue, id=check_job_id(job_id))


@dataclass(frozen=True)
class JobState:
    """What is known of a job now: read from its hash in one round trip."""

    id: str
    handler: str
    queue: str
    state: str
    attempts: int
    error: str | None
    enqueued_at: float | None
    started_at: float | None
    finished_at: float | None
    due_at: float | None
    worker: str | None = None
    recoveries: int = 0
    history: tuple[dict[str, Any], ...] = ()  # one record per finished attempt (run), in order

    @classmethod
    def from_hash(cls, job_id: str, fields: dict[str, str], now: float) -> JobState:
        """Build from a `queue:job:<id>` hash; a delayed job past its due time reads as queued."""
        state = fields.get("state", "queued")
        due_at = _float_or_none(fields.get("due_at"))
        if state in ("delayed", "retrying") and due_at is not None and due_at <= now:
            # migrate_delayed moves the JSON without touching the hash: it is waiting now.
            state = "queued"
        return cls(
            id=job_id,
            handler=fields.get("handler", ""),
            queue=fields.get("queue", ""),
            state=state,
            attempts=int(fields.get("attempts", 0)),
            error=fields.get("error") or None,
            enqueued_at=_float_or_none(fields.get("enqueued_at")),
            started_at=_float_or_none(fields.get("started_at")),
            finished_at=_float_or_none(fields.get("finished_at")),
            due_at=due_at,
            worker=fields.get("worker") or None,
            recoveries=int(fields.get("recoveries", 0)),
            history=_history(fields),
        )

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _history(fields: dict[str, str]) -> tuple[dict[str, Any], ...]:
    """The `run:<n>` records of a job hash, in the order the attempts ended.

    Numbered by run, not attempt: a job retried from the failed list starts again at
    attempt 1, and its earlier records stay.
    """
    numbered = [
        (int(name.partition(":")[2]), value)
        for name, value in fields.items()
        if name.startswith("run:") and value
    ]
    return tuple({"run": n, **json.loads(value)} for n, value in sorted(numbered))


def _float_or_none(value: str | None) -> float | None:
    return float(value) if value else None
