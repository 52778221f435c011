"""Jobs per second from the workers' per-minute counters, and the chart of the last minutes.

The workers count what they finish in `queue:stats:processed:<minute>` and
`queue:stats:failed:<minute>` (jobs.keys; minute = floor(unix time / 60), kept 2 hours):
reading the last half hour is one MGET, inside the dashboard's snapshot round trip.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from jobs import Keys


@dataclass(frozen=True)
class Throughput:
    """Jobs finished per minute, oldest minute first, and the rate over the last minute."""

    minutes: list[int]  # unix minutes
    processed: list[int]
    failed: list[int]
    jobs_per_second: float


def minute_keys(keys: Keys, minute_now: int, minutes: int) -> tuple[list[str], list[str]]:
    """Return the processed and the failed counter keys of the last minutes, oldest first."""
    span = range(minute_now - minutes + 1, minute_now + 1)
    return (
        [keys.stats("processed", minute) for minute in span],
        [keys.stats("failed", minute) for minute in span],
    )


def read_throughput(
    processed: list[str | None], failed: list[str | None], minute_now: int, now: float
) -> Throughput:
    """Build the throughput from two MGET replies (oldest minute first) at time now."""
    done = [int(count or 0) for count in processed]
    lost = [int(count or 0) for count in failed]
    minutes = list(range(minute_now - len(done) + 1, minute_now + 1))
    return Throughput(minutes, done, lost, jobs_per_second(done, lost, now))


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


@dataclass(frozen=True)
class Bar:
    """One minute of the chart: where its bar goes and what it says."""

    x: float
    width: float
    processed_height: float
    failed_height: float
    label: str


def chart_bars(throughput: Throughput, width: float = 600, height: float = 120) -> list[Bar]:
    """Lay out one stacked bar per minute (succeeded below, failed on top) in width x height."""
    most = max((done + lost for done, lost in zip(throughput.processed, throughput.failed,
                                                    strict=True)), default=0) or 1
    step = width / max(len(throughput.minutes), 1)
    return [
        Bar(index * step, step * 0.8, done / most * height, lost / most * height,
            f"{time.strftime('%H:%M', time.gmtime(minute * 60))} UTC: {done} succeeded, "
            f"{lost} failed")
        for index, (minute, done, lost) in enumerate(
            zip(throughput.minutes, throughput.processed, throughput.failed, strict=True)
        )
    ]
