"""Entry: one entry of the queue's lists as a dashboard reads it, a job or data that is not one.

Unlike Job.from_json, reading an entry never fails: a dashboard must show whatever a list
holds, a malformed message included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Entry:
    """One entry of a queue list, the delayed set, a processing list or the failed list."""

    id: str | None  # None: not a job (a malformed message)
    handler: str
    queue: str
    attempts: int
    payload: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # failed entries only
    failed_at: float | None = None  # failed entries only
    raw: str = ""

    @property
    def data(self) -> str:
        """The payload as compact JSON, or the raw text of a malformed entry."""
        return json.dumps(self.payload, sort_keys=True) if self.id is not None else self.raw


def parse_entry(raw: str) -> Entry:
    """Parse an entry as a job, or keep it as raw text if it is not one."""
    try:
        data: Any = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return Entry(None, "(malformed)", "", 0, raw=raw)
    payload = data.get("payload")
    return Entry(
        id=data["id"],
        handler=str(data.get("handler", "")),
        queue=str(data.get("queue", "")),
        attempts=int(data.get("attempts") or 0),
        payload=payload if isinstance(payload, dict) else {},
        error=data.get("error"),
        failed_at=data.get("failed_at"),
        raw=raw,
    )


def parse_failed(raw: str) -> Entry:
    """Parse a failed entry: a job's fields plus error and failed_at, or the raw data.

    Data that was not a job is kept as `{"raw", "error", "failed_at"}` (jobs.outcomes.Malformed).
    """
    try:
        data: Any = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict) and "id" not in data and "raw" in data:
        return Entry(None, "(malformed)", "", 0, {}, data.get("error"), data.get("failed_at"),
                     str(data["raw"]))
    return parse_entry(raw)
