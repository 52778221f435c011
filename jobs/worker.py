"""Worker: the loop that runs jobs from Redis queues."""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from types import FrameType
from typing import Any

from redis import Redis
from redis.exceptions import ConnectionError, TimeoutError

from jobs.backoff import compute_backoff
from jobs.client import QueueClient, Taken
from jobs.handler import JobHandler
from jobs.job import Job
from jobs.keys import check_queue_name
from jobs.outcomes import Ack, Fail, Outcome, Requeue, Retry

log = logging.getLogger(__name__)

WEEK_SECONDS = 7 * 24 * 3600


class UnknownHandler(LookupError):
    """Raised for a job whose handler name is not registered: it is never retried."""


class Worker:
    """Runs jobs from one or more queues until told to stop.

    1. fetches: records the outcomes of finished jobs, moves due delayed jobs onto their
       queues and takes new jobs into its own processing list, all in one round trip;
       as many jobs as it can run in about `prefetch_seconds`, or one when jobs are slow;
    2. when the queues are empty, blocks on one of them (at most `block_timeout`
       seconds, less when a delayed job falls due), so it notices a stop request soon;
    3. runs each job's handler (`process`); a failure is retried with exponential
       backoff or, after `max_attempts`, moved to the failed list (`handle_failure`);
    4. on SIGTERM or SIGINT finishes the job it is running, gives back the jobs it took
       but has not started, records every outcome and returns.
    """

    def __init__(
        self,
        redis: Redis,
        handlers: Mapping[str, JobHandler],
        max_attempts: int = 3,
        retry_base: float = 60.0,
        prefix: str = "queue:",
        *,
        worker_id: str | None = None,
        block_timeout: float = 1.0,
        prefetch_seconds: float = 0.02,
        max_batch: int = 100,
        keep_succeeded_seconds: int = WEEK_SECONDS,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.handlers = dict(handlers)
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.client = QueueClient(redis, prefix, self.worker_id)
        self.block_timeout = block_timeout
        self.prefetch_seconds = prefetch_seconds
        self.max_batch = max_batch
        self.keep_succeeded_seconds = keep_succeeded_seconds
        self.counts = {"processed": 0, "retried": 0, "failed": 0}
        self._stopping = threading.Event()
        self._pending: list[Outcome] = []
        self._pending_since = 0.0
        self._seconds_per_job = 0.0
        self._idle_rounds = 0

    def run(self, queue: str | Sequence[str] = "default", burst: bool = False) -> dict[str, int]:
        """Run jobs from queue (or several, served in the order given); burst: until empty."""
        queues = [queue] if isinstance(queue, str) else list(queue)
        if not queues:
            raise ValueError("Worker.run needs at least one queue")
        for name in queues:
            check_queue_name(name)
        restore = self._install_signal_handlers()
        log.info("Worker started on queue: %s", ", ".join(queues))
        try:
            self._loop(queues, burst)
        finally:
            restore()
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
        self, raw: str, job: Job, error: Exception, started_at: float, finished_at: float
    ) -> Retry | Fail:
        """Decide what a failed attempt leads to: a retry after backoff, or the failed list."""
        message = _describe(error)
        if isinstance(error, UnknownHandler) or job.attempts >= self.max_attempts:
            self.counts["failed"] += 1
            entry = {**asdict(job), "error": message, "failed_at": finished_at}
            return Fail(raw, job.id, json.dumps(entry), message, started_at, finished_at)
        self.counts["retried"] += 1
        due_at = finished_at + compute_backoff(job.attempts, self.retry_base)
        return Retry(raw, job.id, job.to_json(), due_at, message, started_at, finished_at)

    def _loop(self, queues: list[str], burst: bool) -> None:
        pause_seconds = 0.0
        while not self._stopping.is_set():
            try:
                if not self._step(queues, burst):
                    break
                pause_seconds = 0.0
            except (ConnectionError, TimeoutError) as error:
                pause_seconds = min(max(pause_seconds * 2, 0.1), 5.0)
                log.warning("Redis unreachable (%s); retrying in %.1f s", error, pause_seconds)
                self._stopping.wait(pause_seconds)
        self._flush()

    def _step(self, queues: list[str], burst: bool) -> bool:
        """Fetch and run one batch, or wait for work; return False when a burst is done."""
        fetched = self.client.pop_many(queues, self._batch_size(), self._pending)
        self._pending = []
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
            timeout = min(timeout, max(next_due_at - time.time(), 0.001))
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
                self._add_outcome(_malformed(taken, now))
        jobs = [taken for taken in batch if taken.job is not None]
        attempts = self.client.start([taken.job for taken in jobs if taken.job]) if jobs else []
        unstarted: list[Requeue] = []
        for taken, attempt in zip(jobs, attempts, strict=True):
            assert taken.job is not None
            job = replace(taken.job, attempts=attempt)
            if self._stopping.is_set():
                unstarted.append(Requeue(taken.raw, job.id, job.queue))
                continue
            self._add_outcome(self._run_job(taken.raw, job))
            if time.time() - self._pending_since > self.prefetch_seconds:
                self._flush()
        # requeue pushes each job onto the front of its queue: last first keeps their order.
        for requeue in reversed(unstarted):
            self._add_outcome(requeue)

    def _run_job(self, raw: str, job: Job) -> Outcome:
        started_at = time.time()
        try:
            self.process(job)
        # The one per-job boundary: whatever a handler raises ends only this attempt.
        except Exception as error:
            finished_at = time.time()
            log.error(
                "[ERROR] Job %s: %s (handler %s, attempt %d of %d)",
                job.id, _describe(error), job.handler, job.attempts, self.max_attempts,
            )
            return self.handle_failure(raw, job, error, started_at, finished_at)
        finished_at = time.time()
        self._learn_duration(finished_at - started_at)
        self.counts["processed"] += 1
        log.info(
            "[OK] Job %s processed (handler %s, attempt %d, %.3f s)",
            job.id, job.handler, job.attempts, finished_at - started_at,
        )
        return Ack(raw, job.id, started_at, finished_at, self.keep_succeeded_seconds)

    def _add_outcome(self, outcome: Outcome) -> None:
        if not self._pending:
            self._pending_since = time.time()
        self._pending.append(outcome)

    def _flush(self) -> None:
        """Record every pending outcome now."""
        stale = self.client.record(self._pending)
        self._pending = []
        if stale:
            log.warning("%d outcomes dropped: their jobs were taken back", stale)

    def _batch_size(self) -> int:
        """As many jobs as run in about prefetch_seconds: many when fast, one when slow.

        Taking many slow jobs at once would leave other workers idle while they wait here.
        """
        if self._seconds_per_job <= 0:
            return 1
        return max(1, min(self.max_batch, int(self.prefetch_seconds / self._seconds_per_job)))

    def _learn_duration(self, seconds: float) -> None:
        # A moving average: a few slow jobs quickly shrink the batch, fast ones grow it.
        if self._seconds_per_job <= 0:
            self._seconds_per_job = seconds
        else:
            self._seconds_per_job = 0.8 * self._seconds_per_job + 0.2 * seconds

    def _install_signal_handlers(self) -> Any:
        """Make SIGTERM and SIGINT only set the stop flag; return a function that undoes it."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None  # signals reach only the main thread; stop() still works

        def on_signal(signum: int, frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            log.info("Received %s: finishing the current job, then stopping", name)
            self._stopping.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        return lambda: [signal.signal(sig, handler) for sig, handler in previous.items()]


def _describe(error: Exception) -> str:
    """The error as it is logged and stored: its message, with its class unless it is ours."""
    if isinstance(error, UnknownHandler):
        return str(error)
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _malformed(taken: Taken, now: float) -> Fail:
    reason = f"Malformed job: {taken.malformed}"
    entry = json.dumps({"raw": taken.raw, "error": reason, "failed_at": now})
    return Fail(taken.raw, None, entry, reason, now, now)


def _format_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in counts.items())
