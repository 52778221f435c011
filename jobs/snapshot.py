"""QueueSnapshot: the whole queue at one moment, as a dashboard shows it, read in two round trips.

QueueMonitor.snapshot only reads (LLEN, ZCARD, ZRANGE, LRANGE, MGET, HGET), pipelined:
the first round trip reads each queue's list, delayed set, failed list and per-minute
counters (jobs.stats), and the worker registry; the second reads what each registered
worker serves and its processing lists for these queues (no second one when no worker is
registered). On a Redis Cluster each round trip goes to every node once. Lists are read up
to LIST_LIMIT entries: past that, the per-queue split of the delayed and failed jobs counts
only those read (`QueueSnapshot.truncated` says so).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from jobs.entry import Entry, parse_entry, parse_failed
from jobs.stats import Throughput

LIST_LIMIT = 1000  # entries read from one list or set: bounds the time Redis spends on a read


@dataclass(frozen=True)
class QueueDepth:
    """How many jobs of one queue are in each place."""

    name: str
    waiting: int
    delayed: int
    in_progress: int
    failed: int


@dataclass(frozen=True)
class WorkerInfo:
    """A registered worker: id, heartbeat age, what it holds, the queues it serves."""

    id: str
    heartbeat_age_seconds: float
    holding: list[Entry]
    queues: list[str] | None  # None: the worker does not record them

    @property
    def current_job(self) -> Entry | None:
        """The job it runs now: the first of its processing list."""
        return self.holding[0] if self.holding else None


@dataclass(frozen=True)
class QueueSnapshot:
    """The whole queue at one moment, as a dashboard shows it."""

    depths: list[QueueDepth]
    workers: list[WorkerInfo]
    delayed: list[tuple[Entry, float]]  # (job, due time in unix seconds), soonest first
    failed: list[Entry]
    failed_total: int
    throughput: Throughput
    truncated: bool


def build_snapshot(
    waiting: dict[str, int], delayed: list[tuple[str, float]], delayed_total: int,
    failed: list[str], failed_total: int, workers: list[WorkerInfo], throughput: Throughput,
) -> QueueSnapshot:
    """Build a snapshot from what was read: jobs waiting per queue, raw delayed, failed entries."""
    delayed_entries = [(parse_entry(raw), float(due)) for raw, due in delayed]
    failed_entries = [parse_failed(raw) for raw in failed]
    held = [entry for worker in workers for entry in worker.holding]
    depths = count_by_queue(
        list(waiting), waiting, [entry for entry, _ in delayed_entries], held, failed_entries
    )
    truncated = delayed_total > len(delayed) or failed_total > len(failed)
    return QueueSnapshot(depths, workers, delayed_entries, failed_entries, failed_total,
                         throughput, truncated)


def count_by_queue(
    names: list[str], waiting: dict[str, int], delayed: list[Entry], held: list[Entry],
    failed: list[Entry],
) -> list[QueueDepth]:
    """Count each queue's jobs in each place; queues seen only in the data come after."""
    places = [Counter(entry.queue for entry in group) for group in (delayed, held, failed)]
    seen = {queue for place in places for queue in place if queue}
    ordered = names + sorted(seen - set(names))
    return [
        QueueDepth(name, waiting.get(name, 0), places[0][name], places[1][name], places[2][name])
        for name in ordered
    ]
