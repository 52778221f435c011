"""Worker: the lesson's worker loop, made reliable."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from jobs.alarm import Alarm, JobInterrupted
from jobs.backoff import RetryPolicy
from jobs.connection import UNREACHABLE, RedisClient, queue_client_for
from jobs.failures import Abandoned, JobTimedOut, UnknownHandler, describe
from jobs.fetch import FOREVER_SECONDS, Fetcher
from jobs.handler import JobHandler
from jobs.job import Job
from jobs.keys import Keys, check_queue_name
from jobs.outcomes import Ack, Attempt, Fail, Malformed, Outcome, Requeue, Retry, Taken
from jobs.registry import Heartbeat, WorkerRegistry
from jobs.signals import install_stop_signals

log = logging.getLogger(__name__)

WEEK_SECONDS = 7 * 24 * 3600


class Worker:
    """Runs jobs from one or more queues until told to stop.

    1. takes jobs from its queues, first queue first (self.fetcher: a job stays in Redis,
       in this worker's processing list, until its outcome is recorded; jobs/fetch.py);
    2. runs each job's handler (process), within its time limit;
    3. records the outcome: done, or a retry after backoff, or the failed list
       (handle_failure decides).
    Beside the loop, a Heartbeat thread shows the worker alive and gives the jobs of dead
    workers back. SIGTERM or SIGINT lets the running job finish (at most shutdown_timeout
    seconds; a second signal: at once), then the worker stops; a job it took and did not
    start, or had to stop, goes back to the front of its queue.
    """

    def __init__(
        self,
        redis: RedisClient,
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
        max_prefetch: int = 100,
        keep_succeeded_seconds: int = WEEK_SECONDS,
    ) -> None:
        self.handlers = dict(handlers)
        self.retry_policy = RetryPolicy(max_attempts, retry_base, retry_cap, retry_jitter)
        self.job_timeout = job_timeout
        self.shutdown_timeout = shutdown_timeout
        self.recovery_timeout = recovery_timeout
        self.keep_succeeded_seconds = keep_succeeded_seconds
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        redis = queue_client_for(redis)
        keys = Keys.for_client(redis, prefix)
        self.registry = WorkerRegistry(redis, keys, self.worker_id, max_recoveries)
        self._stopping = threading.Event()
        self.fetcher = Fetcher(
            redis, keys, self.registry, self._stopping, block_timeout=block_timeout,
            prefetch_seconds=prefetch_seconds, max_prefetch=max_prefetch,
        )
        self.alarm = Alarm()
        self.counts = {"processed": 0, "retried": 0, "failed": 0}

    def run(self, queue: str | Sequence[str] = "default", burst: bool = False) -> dict[str, int]:
        """Run jobs from queue (or several, in priority order); burst: until none is left.

        Return how many jobs it processed, retried and failed.
        """
        queues = _check_queues(queue)
        with self._running(queues):
            while not self._stopping.is_set():
                taken = self.fetcher.fetch(queues, wait=not burst)
                if burst and not taken:
                    break
                for index, job in enumerate(taken):
                    if self._stopping.is_set():
                        self.fetcher.give_back(taken[index:])
                        break
                    outcome = self._attempt(job)
                    if outcome.counts_as:
                        self.counts[outcome.counts_as] += 1
                    self.fetcher.record(outcome)
        return dict(self.counts)

    def stop(self) -> None:
        """Ask the loop to stop after the job it is running."""
        self._stopping.set()

    def now(self) -> float:
        """The Redis server's time: attempts' times feed due times other hosts compare."""
        return self.registry.clock.now()

    def process(self, job: Job) -> None:
        """Run the job with the handler registered under its name."""
        handler = self.handlers.get(job.handler)
        if handler is None:
            raise UnknownHandler(f"Unknown handler: {job.handler}")
        handler.handle(job.payload)

    def handle_failure(self, attempt: Attempt, error: BaseException) -> Retry | Fail:
        """Decide what a failed attempt leads to, from the job's attempts so far, the error
        and the retry policy: a retry after backoff, or the failed list."""
        handler = self.handlers.get(attempt.job.handler)
        policy = self._policy_for(handler)
        message = describe(error)
        give_up_on = getattr(handler, "give_up_on", ())
        if (isinstance(error, (UnknownHandler, Abandoned, *give_up_on))
                or attempt.job.attempts >= policy.max_attempts):
            return Fail(attempt, message)
        return Retry(attempt, message, policy.delay_seconds(attempt.job.attempts))

    def _attempt(self, taken: Taken) -> Outcome:
        """Run one taken job within its time limit and say what became of it."""
        if taken.job is None:
            log.error("[ERROR] Malformed job moved to failed: %s", taken.malformed)
            return Malformed(taken.raw, taken.queue, self.worker_id, taken.malformed or "",
                             self.now())
        job, started_at = taken.job, self.now()
        handler = self.handlers.get(job.handler)
        if job.attempts > self._policy_for(handler).max_attempts:
            # Its earlier attempts never finished: each crashed its worker or was cut off.
            abandoned = Attempt(taken.raw, job, self.worker_id, started_at, started_at)
            error: Exception = Abandoned(f"abandoned: attempt {job.attempts - 1} never finished")
            return self.handle_failure(abandoned, error)
        timeout = getattr(handler, "timeout_seconds", self.job_timeout)
        try:
            with self.alarm.armed(timeout, "timeout"):
                self.process(job)
        except JobInterrupted as interrupted:
            if interrupted.reason != "timeout":
                log.warning("[STOP] Job %s (handler %s) stopped: back on its queue",
                            job.id, job.handler)
                return Requeue(taken.raw, job, self.worker_id)
            error = JobTimedOut(f"timed out after {timeout:g} s")
        # The one per-job boundary: whatever a handler raises ends only this attempt.
        except Exception as raised:
            error = raised
        else:
            attempt = Attempt(taken.raw, job, self.worker_id, started_at, self.now())
            log.info("[OK] Job %s processed (handler %s, attempt %d, %.3f s)",
                     job.id, job.handler, job.attempts, attempt.seconds)
            return Ack(attempt, self.keep_succeeded_seconds)
        attempt = Attempt(taken.raw, job, self.worker_id, started_at, self.now())
        log.error("[ERROR] Job %s: %s (handler %s, attempt %d)",
                  job.id, describe(error), job.handler, job.attempts)
        return self.handle_failure(attempt, error)

    def _policy_for(self, handler: JobHandler | None) -> RetryPolicy:
        policy = getattr(handler, "retry_policy", None)
        return policy if isinstance(policy, RetryPolicy) else self.retry_policy

    @contextmanager
    def _running(self, queues: list[str]) -> Iterator[None]:
        """Signals, the registry, the heartbeat and the fetcher, for as long as the loop runs."""
        restore_signals = install_stop_signals(self._stopping, self.alarm, self.shutdown_timeout)
        heartbeat = Heartbeat(self.registry, self.recovery_timeout)
        try:
            try:
                self.registry.register(queues)
            except UNREACHABLE as error:
                # A worker outlives a Redis outage, even one at its start: the fetch waits
                # for Redis, then registers it (Fetcher._recover).
                log.warning("Redis unreachable at start (%s): waiting for it", error)
                self.fetcher.lost_redis = True
            heartbeat.start()
            self.fetcher.start()
            log.info("Worker started on queue: %s", ", ".join(queues))
            yield
        finally:
            self.fetcher.stop()
            heartbeat.stop()
            if heartbeat.is_alive():
                heartbeat.join(timeout=5)  # so no late beat re-registers it after it leaves
            restore_signals()
        try:  # leave the registry, giving back anything still held
            self.registry.reap(self.worker_id, FOREVER_SECONDS, queues)
        except UNREACHABLE:
            log.error("Could not unregister: the reaper will give back this worker's jobs")
        log.info("Worker %s stopped: %s", self.worker_id,
                 ", ".join(f"{count} {name}" for name, count in self.counts.items()))


def _check_queues(queue: str | Sequence[str]) -> list[str]:
    queues = [queue] if isinstance(queue, str) else list(queue)
    if not queues:
        raise ValueError("Worker.run needs at least one queue")
    return [check_queue_name(name) for name in queues]
