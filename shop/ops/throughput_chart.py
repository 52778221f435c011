"""The dashboard's chart of jobs finished per minute: one stacked bar per minute."""

from __future__ import annotations

import time
from dataclasses import dataclass

from jobs import Throughput


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
