"""InvariantCheck: is every job in exactly one place? Read in one atomic snapshot.

The places are the queue lists (waiting), the delayed sets, the workers' processing lists
(in progress), the failed lists, and "succeeded" (its hash says so and no list holds it).
A list holds a job's JSON, not its id, and that JSON changes from attempt to attempt, so
LPOS cannot find it: QueueMonitor.check_invariant reads the lists (up to LIST_LIMIT entries
each) and their ids are counted. A job never leaves its queue's keys, so reading each
queue's keys in one MULTI shows no job mid-move: one round trip for the worker registry,
one MULTI per queue on a Redis Cluster (one for all of them on a single Redis), and one to
read the registry again; the reads are repeated if a worker came or went in between.

A job with no hash in no list was deleted from the failed list, or its success expired:
it has no place to be, and is left out rather than reported lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jobs.entry import parse_entry, parse_failed
from jobs.snapshot import LIST_LIMIT


@dataclass(frozen=True)
class JobPlaces:
    """Where one job was found."""

    job_id: str
    places: list[str]

    @property
    def ok(self) -> bool:
        """True when the job is in exactly one place."""
        return len(self.places) == 1


@dataclass(frozen=True)
class InvariantCheck:
    """The places of the checked jobs, or why they could not be checked."""

    jobs: list[JobPlaces]
    round_trips: int
    unchecked: str | None = None  # why the check could not be made

    @property
    def ok(self) -> bool:
        """True when every job is in exactly one place."""
        return self.unchecked is None and all(job.ok for job in self.jobs)

    @property
    def violations(self) -> list[JobPlaces]:
        """The jobs in no place or in several."""
        return [job for job in self.jobs if not job.ok]


@dataclass(frozen=True)
class QueueRead:
    """What one atomic read of a queue's keys found: its list, its delayed set, each
    worker's processing list for it, its failed list, and each checked job's state there."""

    waiting: list[str]
    delayed: list[str]
    held: list[list[str]]
    failed: list[str]
    states: list[str | None]


def places_of(job_ids: Sequence[str], reads: Sequence[QueueRead],
              round_trips: int) -> InvariantCheck:
    """Count the places of each job from the reads of its queues."""
    lists = [lst for read in reads for lst in (read.waiting, read.delayed, *read.held, read.failed)]
    if any(len(entries) > LIST_LIMIT for entries in lists):
        return InvariantCheck([], round_trips, f"a list holds over {LIST_LIMIT} jobs")
    found = {
        "waiting": ids_in(entry for read in reads for entry in read.waiting),
        "delayed": ids_in(entry for read in reads for entry in read.delayed),
        "in progress": ids_in(entry for read in reads for held in read.held for entry in held),
        "failed": Counter(parse_failed(raw).id for read in reads for raw in read.failed),
    }
    jobs = []
    for index, job_id in enumerate(job_ids):
        states = [read.states[index] for read in reads if read.states[index] is not None]
        places = [place for place, ids in found.items() for _ in range(ids[job_id])]
        places += ["succeeded" for state in states if state == "succeeded"]
        if states or places:
            jobs.append(JobPlaces(job_id, places))
    return InvariantCheck(jobs, round_trips)


def ids_in(raws: Iterable[str]) -> Counter[str | None]:
    """Count the job ids among list entries."""
    return Counter(parse_entry(raw).id for raw in raws)
