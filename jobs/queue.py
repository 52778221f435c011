"""JobQueue: what an application uses to queue jobs and see what became of them."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from jobs.batch import Batch
from jobs.client import QueueClient
from jobs.connection import RedisClient
from jobs.failed import FailedList
from jobs.invariant import InvariantCheck
from jobs.job import Job, JobState, new_job
from jobs.keys import check_queue_name
from jobs.monitor import QueueMonitor
from jobs.snapshot import QueueSnapshot, WorkerInfo
from jobs.stats import HandlerStats, Throughput


class JobQueue:
    """Queues jobs and reads their state.

    1. dispatch builds a job and pushes it onto its queue, or into its delayed set;
    2. migrate_delayed moves due delayed jobs onto their own queues (workers do this too);
    3. states and failed tell what became of jobs;
    4. retry_failed / retry_all_failed queue failed jobs again, attempts reset, and
       delete_failed / purge_failed drop them;
    5. snapshot, workers, throughput, handler_stats and check_invariant read the queue
       for a dashboard, so it never reads the queue's keys itself.

    Each queue has its own keys (jobs/keys.py), so what reads or changes several queues,
    the failed jobs, throughput and statistics, takes the queues to look at; without them,
    it looks at `queues` given here, then at every other queue used (`queue:queues`).
    """

    def __init__(self, redis: RedisClient, prefix: str = "queue:", *, queues: Sequence[str] = (),
                 wait_replicas: int = 0, wait_timeout_seconds: float = 1.0) -> None:
        self.client = QueueClient(redis, prefix, wait_replicas=wait_replicas,
                                  wait_timeout_seconds=wait_timeout_seconds)
        self.redis, self.keys = self.client.redis, self.client.keys
        self.known = [check_queue_name(queue) for queue in queues]
        self.monitor = QueueMonitor(self.redis, prefix)
        self.failed_list = FailedList(self.redis, self.keys)

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
        self.client.enqueue(job, delay_seconds=delay)
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
            self.client.enqueue_many(queue, handler, jobs[start : start + chunk])
        return [job.id for job in jobs]

    def migrate_delayed(self, queues: Sequence[str] | None = None) -> int:
        """Move due delayed jobs onto their queues (of these queues, or of every known one);
        return how many moved. Workers do this in every fetch: call it where no worker runs."""
        return self.client.migrate_delayed([check_queue_name(q) for q in self._queues(queues)])

    def queues(self) -> list[str]:
        """The queues this JobQueue was made with, then every other queue used: dispatched
        to, or served by a worker (one round trip)."""
        return list(dict.fromkeys([*self.known, *self.monitor.queues()]))

    def states(self, jobs: Sequence[tuple[str, str]]) -> list[JobState | None]:
        """Each job's state, given as (queue, job id), in one round trip; None for a job
        Redis knows nothing of."""
        if any(isinstance(job, str) for job in jobs):
            raise TypeError("states takes (queue, job id) pairs: a job's state is kept with "
                            "its queue's keys")
        with self.redis.pipeline(transaction=False) as pipe:
            for queue, job_id in jobs:
                pipe.hgetall(self.keys.job(queue, job_id))
            hashes: list[dict[str, str]] = pipe.execute()
        now = time.time()
        return [
            JobState.from_hash(job_id, fields, now) if fields else None
            for (_, job_id), fields in zip(jobs, hashes, strict=True)
        ]

    def snapshot(self, queues: Sequence[str] | None = None, minutes: int = 30) -> QueueSnapshot:
        """These queues (or every known one) now, with the last minutes' throughput.

        Two round trips, however many jobs there are: jobs/snapshot.py says what each reads.
        """
        return self.monitor.snapshot(self._queues(queues), minutes)

    def workers(self) -> list[WorkerInfo]:
        """The registered workers, with heartbeat age, the jobs they hold, their queues."""
        return self.monitor.workers(self.queues())

    def throughput(self, minutes: int = 60,
                   queues: Sequence[str] | None = None) -> Throughput:
        """Jobs succeeded and failed in each of the last minutes, oldest first, and per second."""
        return self.monitor.throughput(self._queues(queues), minutes)

    def handler_stats(self, queues: Sequence[str] | None = None) -> dict[str, HandlerStats]:
        """Per handler: jobs succeeded and failed, seconds spent, a duration histogram."""
        return self.monitor.handler_stats(self._queues(queues))

    def check_invariant(self, job_ids: Sequence[str], queues: Sequence[str]) -> InvariantCheck:
        """Check that each job is in exactly one place among these queues, read atomically."""
        return self.monitor.check_invariant(job_ids, queues)

    def failed(self, start: int = 0, stop: int = -1,
               queues: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The failed lists' entries, oldest first: job fields plus error and failed_at (or
        raw data)."""
        return self.failed_list.entries(self._queues(queues), start, stop)

    def failed_job(self, job_id: str, queues: Sequence[str] | None = None) -> dict[str, Any]:
        """The failed entry of one job, or raise JobNotFound."""
        return self.failed_list.find(job_id, self._queues(queues))

    def retry_failed(self, job_id: str, queues: Sequence[str] | None = None) -> None:
        """Queue one failed job again with its attempts reset, or raise JobNotFound."""
        self.failed_list.retry(job_id, self._queues(queues))

    def retry_all_failed(self, handler: str | None = None,
                         queues: Sequence[str] | None = None) -> int:
        """Queue again every failed job (of one handler, if given); return how many."""
        return self.failed_list.retry_all(self._queues(queues), handler)

    def delete_failed(self, job_id: str, queues: Sequence[str] | None = None) -> None:
        """Drop one failed job and its state, or raise JobNotFound."""
        self.failed_list.delete(job_id, self._queues(queues))

    def purge_failed(self, handler: str | None = None,
                     queues: Sequence[str] | None = None) -> int:
        """Drop every failed entry (of one handler, if given); return how many."""
        return self.failed_list.purge(self._queues(queues), handler)

    def _queues(self, queues: Sequence[str] | None) -> list[str]:
        return list(queues) if queues is not None else self.queues()
