"""JobQueue: what an application uses to queue jobs and see what became of them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from redis import Redis

from jobs.client import QueueClient
from jobs.job import Job, JobState
from jobs.keys import check_queue_name


class JobQueue:
    """Queues jobs and reads their state.

    1. dispatch builds a job and pushes it onto its queue, or into the delayed set;
    2. migrate_delayed moves due delayed jobs onto their own queues (workers do this);
    3. states and failed tell what became of jobs.
    """

    def __init__(self, redis: Redis, prefix: str = "queue:") -> None:
        self.client = QueueClient(redis, prefix)

    def dispatch(
        self, queue: str, handler: str, payload: dict[str, Any], delay: float = 0
    ) -> str:
        """Queue handler(payload) on queue, to run now or delay seconds from now; return its id."""
        check_queue_name(queue)
        if not handler or not isinstance(handler, str):
            raise ValueError(f"handler must be a non-empty string, got {handler!r}")
        if not isinstance(payload, dict):
            raise TypeError(f"payload must be a dict, got {type(payload).__name__}")
        job = Job(handler=handler, payload=payload, queue=queue)
        self.client.push(queue, job, delay_seconds=delay)
        return job.id

    def migrate_delayed(self, queues: Sequence[str]) -> int:
        """Move due delayed jobs of these queues onto them; return how many moved."""
        return self.client.migrate_delayed([check_queue_name(queue) for queue in queues])

    def states(self, job_ids: Sequence[str]) -> list[JobState | None]:
        """Each job's state, in one round trip; None for an id Redis knows nothing of."""
        return self.client.states(job_ids)

    def failed(self, start: int = 0, stop: int = -1) -> list[dict[str, Any]]:
        """The failed list's entries: job fields plus error and failed_at (or raw data)."""
        return [json.loads(entry) for entry in self.client.failed(start, stop)]
