"""Batch: several dispatches sent to Redis together, in one round trip (JobQueue.batch)."""

from __future__ import annotations

from typing import Any

from jobs.client import QueueClient
from jobs.job import Job, new_job


class Batch:
    """Collects dispatches; JobQueue.batch sends them all when its block ends."""

    def __init__(self, client: QueueClient) -> None:
        self._client = client
        self._pushes: list[tuple[Job, float]] = []

    def dispatch(
        self,
        queue: str,
        handler: str,
        payload: dict[str, Any],
        delay: float = 0,
        job_id: str | None = None,
    ) -> str:
        """As JobQueue.dispatch, but the job is sent with the rest of the batch."""
        job = new_job(queue, handler, payload, job_id)
        self._pushes.append((job, delay))
        return job.id

    def send(self) -> list[bool]:
        """Push every collected job in one round trip; True for each that was new."""
        pushed = self._client.enqueue_all(self._pushes)
        self._pushes = []
        return pushed
