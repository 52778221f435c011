"""Counters the worker keeps for dashboards: jobs per minute, and per handler."""

from __future__ import annotations

import math
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
