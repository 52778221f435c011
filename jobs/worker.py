"""Worker: the loop that runs jobs from Redis queues."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from redis import Redis
from redis.exceptions import ConnectionError, TimeoutError

from jobs.alarm import Alarm, JobInterrupted
from jobs.backoff import RetryPolicy
from jobs.client import QueueClient, Taken, failed_entry, malformed_failure
from jobs.failures import Abandoned, JobTimedOut, UnknownHandler, describe
from jobs.handler import JobHandler
from jobs.heartbeat import Heartbeat
from jobs.job import Job, dumps
from jobs.keys import check_queue_name
from jobs.outcomes import Ack, Fail, Outcome, Requeue, Retry
from jobs.pacing import BatchSize
from jobs.recorder import Recorder
from jobs.signals import install_stop_signals

log = logging.getLogger(__name__)

WEEK_SECONDS = 7 * 24 * 3600
FOREVER_SECONDS = 1e12  # a heartbeat "older than this" cutoff that every worker meets
REDIS_TICK_SECONDS = 0.1  # 1 / Redis's default hz: how late a blocking command may time out


class Worker:
    """Runs jobs from one or more queues until told to stop.

    1. fetches: records the outcomes of finished jobs, moves due delayed jobs onto their
       queues and takes new jobs into its own processing list, all in one round trip;
       as many jobs as it can run in about `prefetch_seconds`, or one when jobs are slow;
    2. when the queues are empty, blocks on one of them (at most `block_timeout`
       seconds, less when a delayed job falls due), so it notices a stop request soon;
    3. runs each job's handler (`process`) within its time limit; a failure is retried
       with exponential backoff or, past its policy, moved to the failed list
       (`handle_failure`); outcomes wait in a Recorder for the next fetch, or at most
       `prefetch_seconds`;
    4. beside the loop, a Heartbeat thread shows it alive and gives the jobs of dead
       workers back to their queues;
    5. on SIGTERM or SIGINT stops fetching and finishes the running job, for at most
       `shutdown_timeout` seconds (a second signal: at once); a job it stops, or took
       and never started, goes back to the front of its queue.
    """

    def __init__(
        self,
        redis: Redis,
        handlers: Mapping[str, JobHandler],
        max_attempts: int = 3,
        retry_base: float = 60.0,
        prefix: str = "queue:",
        *,
        retry_cap: float = 3600.0,
        retry_jitter: float = 0.1,
        job_timeout: float | None = None,
        shutdown_timeout: float = 30.0,
        recovery_timeout: float = 30.0,
        max_recoveries: int = 3,
        worker_id: str | None = None,
        block_timeout: float = 1.0,
        prefetch_seconds: float = 0.02,
        max_batch: int = 100,
        keep_succeeded_seconds: int = WEEK_SECONDS,
    ) -> None:
        self.handlers = dict(handlers)
        self.retry_policy = RetryPolicy(max_attempts, retry_base, retry_cap, retry_jitter)
        self.job_timeout = job_timeout
        self.shutdown_timeout = shutdown_timeout
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.client = QueueClient(redis, prefix, self.worker_id)
        self.recovery_timeout = recovery_timeout
        self.max_recoveries = max_recoveries
        self.block_timeout = block_timeout
        self.prefetch_seconds = prefetch_seconds
        self.batch_size = BatchSize(prefetch_seconds, max_batch)
        self.keep_succeeded_seconds = keep_succeeded_seconds
        self.counts = {"processed": 0, "retried": 0, "failed": 0}
        self.alarm = Alarm()
        self.recorder = Recorder(self.client, prefetch_seconds)
        self._stopping = threading.Event()
        self._idle_rounds = 0
        self._lost_redis = False

    def run(self, queue: str | Sequence[str] = "default", burst: bool = False) -> dict[str, int]:
        """Run jobs from queue (or several, served in the order given); burst: until empty."""
        queues = [queue] if isinstance(queue, str) else list(queue)
        if not queues:
            raise ValueError("Worker.run needs at least one queue")
        for name in queues:
            check_queue_name(name)
        restore_signals = install_stop_signals(self._stopping, self.alarm, self.shutdown_timeout)
        heartbeat = Heartbeat(self.client, self.recovery_timeout, self.max_recoveries)
        self.recorder = Recorder(self.client, self.prefetch_seconds)
        try:
            self.client.register(queues)
            heartbeat.start()
            self.recorder.start()
            log.info("Worker started on queue: %s", ", ".join(queues))
            self._loop(queues, burst)
        finally:
            self.recorder.stop()
            heartbeat.stop()
            if heartbeat.is_alive():
                heartbeat.join(timeout=5)  # so no late beat re-registers it after _unregister
            restore_signals()
        self._unregister()
        log.info("Worker %s stopped: %s", self.worker_id, _format_counts(self.counts))
        return dict(self.counts)

    def stop(self) -> None:
        """Ask the loop to stop after the job it is running."""
        self._stopping.set()

    def process(self, job: Job) -> None:
        """Run the job with the handler registered under its name."""
        handler = self.handlers.get(job.handler)
        if handler is None:
            raise UnknownHandler(f"Unknown handler: {job.handler}")
        handler.handle(job.payload)

    def handle_failure(
        self, raw: str, job: Job, error: BaseException, started_at: float, finished_at: float
    ) -> Retry | Fail:
        """Decide what a failed attempt leads to: a retry after backoff, or the failed list."""
        message = describe(error)
        policy = self._policy_for(job)
        record = self._record(job, started_at, finished_at, "failed", message)
        give_up_on = getattr(self.handlers.get(job.handler), "give_up_on", ())
        give_up = isinstance(error, (UnknownHandler, Abandoned, *give_up_on))
        if give_up or job.attempts >= policy.max_attempts:
            self.counts["failed"] += 1
            entry = failed_entry(job, message, finished_at)
            return Fail(raw, job.id, entry, message, record, started_at, finished_at,
                        job.handler)
        self.counts["retried"] += 1
        due_at = finished_at + policy.delay_seconds(job.attempts)
        return Retry(
            raw, job.id, job.to_json(), due_at, message, record, started_at, finished_at,
        )

    def _loop(self, queues: list[str], burst: bool) -> None:
        pause_seconds = 0.0
        while not self._stopping.is_set():
            try:
                if self._lost_redis:
                    self._recover_own_jobs()
                if not self._step(queues, burst):
                    break
                pause_seconds = 0.0
            except (ConnectionError, TimeoutError) as error:
                self._lost_redis = True
                pause_seconds = min(max(pause_seconds * 2, 0.1), 5.0)
                log.warning("Redis unreachable (%s); retrying in %.1f s", error, pause_seconds)
                self._stopping.wait(pause_seconds)
        self._flush_or_leave()

    def _step(self, queues: list[str], burst: bool) -> bool:
        """Fetch and run one batch, or wait for work; return False when a burst is done."""
        outcomes = self.recorder.take()
        try:
            fetched = self.client.pop_many(queues, self.batch_size.next(), outcomes)
        except (ConnectionError, TimeoutError):
            self.recorder.give_back(outcomes)
            raise
        if fetched.stale:
            log.warning("%d outcomes dropped: their jobs were taken back", fetched.stale)
        if fetched.taken:
            self._work(fetched.taken)
        elif burst:
            return False
        else:
            self._wait(queues, fetched.next_due_at)
        return True

    def _wait(self, queues: list[str], next_due_at: float | None) -> None:
        """Block on one queue until a job arrives, a delayed job falls due, or a timeout."""
        # One queue can be waited on for the whole timeout; with several, take turns
        # quickly, since a blocking move watches only one list.
        timeout = self.block_timeout if len(queues) == 1 else min(self.block_timeout, 0.1)
        if next_due_at is not None:
            due_in = next_due_at - time.time()
            if due_in <= REDIS_TICK_SECONDS:
                # Redis ends a blocking wait only on its tick (hz 10: every 100 ms), so a
                # job due sooner is waited for here, to start on time.
                self._stopping.wait(max(due_in, 0.0))
                return
            timeout = min(timeout, due_in - REDIS_TICK_SECONDS)
        queue = queues[self._idle_rounds % len(queues)]
        self._idle_rounds += 1
        taken = self.client.pop(queue, timeout)
        if taken is not None:
            self._work([taken])

    def _work(self, batch: list[Taken]) -> None:
        """Run a batch of taken jobs; give back the unstarted ones if asked to stop."""
        now = time.time()
        for taken in batch:
            if taken.job is None:
                log.error("[ERROR] Malformed job moved to failed: %s", taken.malformed)
                self.counts["failed"] += 1
                self.recorder.add(malformed_failure(taken, now))
        jobs = [taken.job for taken in batch if taken.job is not None]
        raws = [taken.raw for taken in batch if taken.job is not None]
        attempts = self.client.start(jobs) if jobs else []
        unstarted: list[Requeue] = []
        for raw, job, attempt in zip(raws, jobs, attempts, strict=True):
            job = replace(job, attempts=attempt)
            if self._stopping.is_set():
                unstarted.append(Requeue(raw, job.id, job.queue))
                continue
            self.recorder.add(self._run_job(raw, job))
        # requeue pushes each job onto the front of its queue: last first keeps their order.
        for requeue in reversed(unstarted):
            self.recorder.add(requeue)

    def _run_job(self, raw: str, job: Job) -> Outcome:
        """Run one job under its time limit and say what became of it."""
        started_at = time.time()
        policy = self._policy_for(job)
        if job.attempts > policy.max_attempts:
            # Its earlier attempts never finished: each crashed its worker or was cut off.
            error = Abandoned(f"abandoned: attempt {job.attempts - 1} never finished")
            return self.handle_failure(raw, job, error, started_at, started_at)
        timeout = getattr(self.handlers.get(job.handler), "timeout_seconds", self.job_timeout)
        try:
            with self.alarm.armed(timeout, "timeout"):
                self.process(job)
        except JobInterrupted as interrupted:
            if interrupted.reason != "timeout":
                log.warning("[STOP] Job %s (handler %s) stopped: back on its queue",
                            job.id, job.handler)
                return Requeue(raw, job.id, job.queue)
            return self._failed(raw, job, JobTimedOut(f"timed out after {timeout:g} s"),
                                started_at)
        # The one per-job boundary: whatever a handler raises ends only this attempt.
        except Exception as error:
            return self._failed(raw, job, error, started_at)
        finished_at = time.time()
        self.batch_size.learn(finished_at - started_at)
        self.counts["processed"] += 1
        log.info(
            "[OK] Job %s processed (handler %s, attempt %d, %.3f s)",
            job.id, job.handler, job.attempts, finished_at - started_at,
        )
        record = self._record(job, started_at, finished_at, "succeeded", None)
        return Ack(raw, job.id, record, started_at, finished_at, self.keep_succeeded_seconds,
                   job.handler)

    def _failed(self, raw: str, job: Job, error: Exception, started_at: float) -> Outcome:
        finished_at = time.time()
        self.batch_size.learn(finished_at - started_at)
        log.error(
            "[ERROR] Job %s: %s (handler %s, attempt %d)",
            job.id, describe(error), job.handler, job.attempts,
        )
        return self.handle_failure(raw, job, error, started_at, finished_at)

    def _policy_for(self, job: Job) -> RetryPolicy:
        policy = getattr(self.handlers.get(job.handler), "retry_policy", None)
        return policy if isinstance(policy, RetryPolicy) else self.retry_policy

    def _record(
        self, job: Job, started_at: float, finished_at: float, outcome: str, error: str | None
    ) -> str:
        """One attempt's record, kept on the job as its next `run:<n>` field."""
        return dumps({
            "attempt": job.attempts, "worker": self.worker_id, "started_at": started_at,
            "finished_at": finished_at, "outcome": outcome, "error": error,
        })

    def _flush_or_leave(self) -> None:
        """Record pending outcomes; if Redis is gone, leave the jobs to the reaper."""
        try:
            stale = self.recorder.flush()
        except (ConnectionError, TimeoutError) as error:
            log.error("Could not record %d outcomes (%s): the jobs will run again",
                      len(self.recorder.take()), error)
            return
        if stale:
            log.warning("%d outcomes dropped: their jobs were taken back", stale)

    def _recover_own_jobs(self) -> None:
        """After losing Redis: record what finished, then give back what this worker held.

        A fetch whose answer was lost left jobs in this worker's list that it never saw.
        """
        self.recorder.flush()
        returned, failed = self.client.reap(self.worker_id, FOREVER_SECONDS, self.max_recoveries)
        self.client.heartbeat()
        self._lost_redis = False
        log.warning("Redis is back: %d held jobs back on their queues, %d failed", returned, failed)

    def _unregister(self) -> None:
        """Leave the worker registry, giving back anything still held."""
        try:
            self.client.reap(self.worker_id, FOREVER_SECONDS, self.max_recoveries)
        except (ConnectionError, TimeoutError):
            log.error("Could not unregister: the reaper will give back this worker's jobs")


def _format_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in counts.items())
