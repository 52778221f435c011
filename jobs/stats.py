"""Counters the worker keeps for dashboards: jobs per minute, and per handler.

The workers count what each queue finishes in `queue:stats:<name>:processed:<minute>` and
`queue:stats:<name>:failed:<minute>` (jobs.keys; kept 2 hours): reading the last half hour
is one MGET per queue, which a dashboard's snapshot sends in its first round trip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

# Upper bounds (seconds) of the job duration histogram, as Prometheus buckets.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# How long a per-minute counter is kept.
MINUTE_COUNTER_SECONDS = 2 * 3600


def minute_of(unix_seconds: float) -> int:
    """The minute a time falls in: the name of its per-minute counters."""
    return int(unix_seconds // 60)


def bucket_of(seconds: float) -> str:
    """The histogram bucket a duration falls in: its upper bound, or "inf"."""
    for bound in DURATION_BUCKETS:
        if seconds <= bound:
            return repr(bound)
    return "inf"


@dataclass
class HandlerStats:
    """Totals for one handler since the counters began."""

    processed: int = 0
    failed: int = 0
    seconds: float = 0.0  # the sum of the succeeded jobs' durations
    buckets: dict[float, int] = field(default_factory=dict)  # upper bound -> jobs, cumulative

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> HandlerStats:
        """Build from the `<handler>:<name>` fields of the stats hash, handler stripped."""
        counts = {float(k.removeprefix("le:")): int(v) for k, v in fields.items()
                  if k.startswith("le:")}
        running, cumulative = 0, {}
        for bound in (*DURATION_BUCKETS, math.inf):
            running += counts.get(bound, 0)
            cumulative[bound] = running
        return cls(int(fields.get("processed", 0)), int(fields.get("failed", 0)),
                   float(fields.get("seconds", 0.0)), cumulative)


@dataclass(frozen=True)
class Throughput:
    """Jobs finished per minute, oldest minute first, and the rate over the last minute."""

    minutes: list[int]  # unix minutes
    processed: list[int]
    failed: list[int]
    jobs_per_second: float

    @classmethod
    def from_counts(
        cls, counts: Sequence[str | int | None], minute_now: int, now: float
    ) -> Throughput:
        """Build from the processed, then the failed counters, oldest minute first."""
        values = [int(count or 0) for count in counts]
        half = len(values) // 2
        processed, failed = values[:half], values[half:]
        minutes = list(range(minute_now - half + 1, minute_now + 1))
        return cls(minutes, processed, failed, jobs_per_second(processed, failed, now))


def merge_fields(hashes: Sequence[dict[str, str]]) -> dict[str, str]:
    """Several queues' counters of one handler, added up field by field."""
    totals: dict[str, float] = {}
    for fields in hashes:
        for name, value in fields.items():
            totals[name] = totals.get(name, 0.0) + float(value)
    return {name: repr(total) if name == "seconds" else str(int(total))
            for name, total in totals.items()}


def jobs_per_second(processed: list[int], failed: list[int], now: float) -> float:
    """Return jobs finished per second over the last 60 s, from per-minute counts.

    The current minute counts whole; the one before only for the part of it still inside
    the last 60 s (it is assumed to have been spread evenly over its minute).
    """
    if not processed:
        return 0.0
    finished = [done + lost for done, lost in zip(processed, failed, strict=True)]
    elapsed = (now % 60) / 60  # how far into the current minute we are
    previous = finished[-2] if len(finished) > 1 else 0
    return (finished[-1] + previous * (1 - elapsed)) / 60
