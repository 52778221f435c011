"""InvariantCheck: is every job in exactly one place? Read in one atomic snapshot.

The places are the queue lists (waiting), the delayed set, the workers' processing lists
(in progress), the failed list, and "succeeded" (its hash says so and no list holds it).
A list holds a job's JSON, not its id, and that JSON changes from attempt to attempt, so
LPOS cannot find it: QueueMonitor.check_invariant reads the lists (up to LIST_LIMIT entries
each) and their ids are counted. All of it is read in one MULTI, so no job is seen
mid-move: one round trip for the worker registry, one for the snapshot, which also reads
the registry again and is repeated if a worker came or went in between.

A job with no hash in no list was deleted from the failed list, or its success expired:
it has no place to be, and is left out rather than reported lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

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


def places_of(
    job_ids: Sequence[str], queues: Sequence[str], workers: Sequence[str],
    replies: list[object], round_trips: int,
) -> InvariantCheck:
    """Count the places of each job from the snapshot's replies, in the order they were read:
    each queue, the delayed set, each worker's processing list, the failed list, each state."""
    count = len(queues) + 1 + len(workers) + 1
    lists = cast(list[list[str]], replies[:count])
    states = cast(list[str | None], replies[count:])
    if any(len(entries) > LIST_LIMIT for entries in lists):
        return InvariantCheck([], round_trips, f"a list holds over {LIST_LIMIT} jobs")
    waiting, delayed = lists[: len(queues)], lists[len(queues)]
    held, failed = lists[len(queues) + 1 : -1], lists[-1]
    found = {
        "waiting": ids_in(entry for entries in waiting for entry in entries),
        "delayed": ids_in(delayed),
        "in progress": ids_in(entry for entries in held for entry in entries),
        "failed": Counter(parse_failed(raw).id for raw in failed),
    }
    jobs = []
    for job_id, state in zip(job_ids, states, strict=True):
        places = [place for place, ids in found.items() for _ in range(ids[job_id])]
        if state == "succeeded":
            places.append("succeeded")
        if state is not None or places:
            jobs.append(JobPlaces(job_id, places))
    return InvariantCheck(jobs, round_trips)


def ids_in(raws: Iterable[str]) -> Counter[str | None]:
    """Count the job ids among list entries."""
    return Counter(parse_entry(raw).id for raw in raws)
