"""JobQueue: what an application uses to queue jobs and see what became of them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from redis import Redis

from jobs.batch import Batch
from jobs.client import QueueClient
from jobs.invariant import InvariantCheck
from jobs.job import Job, JobState, new_job
from jobs.keys import check_queue_name
from jobs.monitor import QueueMonitor
from jobs.snapshot import QueueSnapshot, WorkerInfo
from jobs.stats import HandlerStats, Throughput

# What the failed list adds to a job's JSON, as in the lesson.
FAILED_FIELDS = ("error", "failed_at")


class JobQueue:
    """Queues jobs and reads their state.

    1. dispatch builds a job and pushes it onto its queue, or into the delayed set;
    2. migrate_delayed moves due delayed jobs onto their own queues (workers do this);
    3. states and failed tell what became of jobs;
    4. retry_failed / retry_all_failed queue failed jobs again, attempts reset, and
       delete_failed / purge_failed drop them;
    5. snapshot, workers, throughput, handler_stats and check_invariant read the queue
       for a dashboard, so it never reads the queue's keys itself.
    """

    def __init__(self, redis: Redis, prefix: str = "queue:") -> None:
        self.client = QueueClient(redis, prefix)
        self.monitor = QueueMonitor(redis, prefix)

    def dispatch(
        self,
        queue: str,
        handler: str,
        payload: dict[str, Any],
        delay: float = 0,
        job_id: str | None = None,
    ) -> str:
        """Queue handler(payload) on queue, to run now or delay seconds from now; return its id.

        With a job_id of your own (say "order-42-payment"), dispatching again is a no-op
        while Redis remembers that job: a retried request or relay cannot queue it twice.
        """
        job = new_job(queue, handler, payload, job_id)
        self.client.push(queue, job, delay_seconds=delay)
        return job.id

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """Dispatch several jobs, of any handlers and queues, in one round trip.

            with queue.batch() as batch:
                batch.dispatch("emails", "order_confirmation", {"order_id": 42})
                batch.dispatch("payments", "process_payment", {"order_id": 42})

        The jobs go when the block ends, each pushed atomically as dispatch would; none go
        if the block raises. A RedisError from the send leaves it unknown which were pushed:
        send them again with the same job_ids, and those already queued are skipped.
        """
        batch = Batch(self.client)
        yield batch
        batch.send()

    def dispatch_many(
        self, queue: str, handler: str, payloads: Iterable[dict[str, Any]], chunk: int = 1000
    ) -> list[str]:
        """Queue handler(payload) for each payload on queue, chunk jobs per round trip.

        The bulk path for imports and backfills; return the new jobs' ids, in order.
        """
        check_queue_name(queue)
        jobs = [Job(handler=handler, payload=payload, queue=queue) for payload in payloads]
        if not all(isinstance(job.payload, dict) for job in jobs):
            raise TypeError("every payload must be a dict")
        for start in range(0, len(jobs), chunk):
            self.client.push_many(queue, handler, jobs[start : start + chunk])
        return [job.id for job in jobs]

    def migrate_delayed(self, queues: Sequence[str]) -> int:
        """Move due delayed jobs of these queues onto them; return how many moved."""
        return self.client.migrate_delayed([check_queue_name(queue) for queue in queues])

    def states(self, job_ids: Sequence[str]) -> list[JobState | None]:
        """Each job's state, in one round trip; None for an id Redis knows nothing of."""
        return self.client.states(job_ids)

    def snapshot(self, queues: Sequence[str], minutes: int = 30) -> QueueSnapshot:
        """The whole queue now, these queues first, with the last minutes' throughput.

        Two round trips, however many jobs there are: jobs/snapshot.py says what each reads.
        """
        return self.monitor.snapshot(queues, minutes)

    def workers(self) -> list[WorkerInfo]:
        """The registered workers, with heartbeat age, the jobs they hold, their queues."""
        return self.monitor.workers()

    def throughput(self, minutes: int = 60) -> Throughput:
        """Jobs succeeded and failed in each of the last minutes, oldest first, and per second."""
        return self.monitor.throughput(minutes)

    def handler_stats(self) -> dict[str, HandlerStats]:
        """Per handler: jobs succeeded and failed, seconds spent, a duration histogram."""
        return self.monitor.handler_stats()

    def check_invariant(self, job_ids: Sequence[str], queues: Sequence[str]) -> InvariantCheck:
        """Check that each job is in exactly one place among these queues, read atomically."""
        return self.monitor.check_invariant(job_ids, queues)

    def failed(self, start: int = 0, stop: int = -1) -> list[dict[str, Any]]:
        """The failed list's entries: job fields plus error and failed_at (or raw data)."""
        return [json.loads(entry) for entry in self.client.failed(start, stop)]

    def failed_job(self, job_id: str) -> dict[str, Any]:
        """The failed entry of one job, or raise JobNotFound."""
        return self._one_failed(job_id)[1]

    def retry_failed(self, job_id: str) -> None:
        """Queue one failed job again with its attempts reset, or raise JobNotFound."""
        raw, entry = self._one_failed(job_id)
        if not self.client.retry_failed([(raw, _job_of(entry))]):
            raise JobNotFound(f"No failed job with id {job_id}")

    def retry_all_failed(self, handler: str | None = None) -> int:
        """Queue again every failed job (of one handler, if given); return how many."""
        matching = [(raw, entry) for raw, entry in self._failed_entries() if "id" in entry]
        return self.client.retry_failed([
            (raw, _job_of(entry)) for raw, entry in matching
            if handler is None or entry.get("handler") == handler
        ])

    def delete_failed(self, job_id: str) -> None:
        """Drop one failed job and its state, or raise JobNotFound."""
        raw, _ = self._one_failed(job_id)
        if not self.client.purge_failed([(raw, job_id)]):
            raise JobNotFound(f"No failed job with id {job_id}")

    def purge_failed(self, handler: str | None = None) -> int:
        """Drop every failed entry (of one handler, if given); return how many."""
        return self.client.purge_failed([
            (raw, entry.get("id")) for raw, entry in self._failed_entries()
            if handler is None or entry.get("handler") == handler
        ])

    def _failed_entries(self) -> list[tuple[str, dict[str, Any]]]:
        return [(raw, json.loads(raw)) for raw in self.client.failed()]

    def _one_failed(self, job_id: str) -> tuple[str, dict[str, Any]]:
        for raw, entry in self._failed_entries():
            if entry.get("id") == job_id:
                return raw, entry
        raise JobNotFound(f"No failed job with id {job_id}")


class JobNotFound(LookupError):
    """No job with that id is where it was looked for."""


def _job_of(entry: dict[str, Any]) -> Job:
    """The job a failed entry was made from."""
    return Job.from_json(json.dumps({k: v for k, v in entry.items() if k not in FAILED_FIELDS}))

