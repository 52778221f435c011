"""LessonWorker: the lesson's JobWorker, translated line by line, its bugs kept and marked.

Read it beside the lesson (docs/lesson/async-processing.md, `JobWorker::run` and
`processJob`), then beside jobs/worker.py, which fixes each bug marked LESSON BUG here.
`python worker.py --lesson` runs it with the shop's handlers, so you can watch it lose a
job. It adds to the lesson only what lets you watch it: each job's state hash is kept
current (start.lua when it is popped, lesson_done.lua when it ends), so the order page and
the dashboard show what it does.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from types import FrameType

from jobs.connection import RedisClient, queue_client_for
from jobs.failures import UnknownHandler, describe
from jobs.handler import JobHandler
from jobs.job import Job, MalformedJob, dumps
from jobs.keys import Keys, check_queue_name
from jobs.outcomes import failed_entry
from jobs.queue import JobQueue
from jobs.scripts import Call, Scripts
from jobs.stats import MINUTE_COUNTER_SECONDS, bucket_of, minute_of

log = logging.getLogger(__name__)

WEEK_SECONDS = 7 * 24 * 3600
# Not the lesson's: a cap on its endless retries, so the bug cannot spin for ever.
MAX_COPIES = 5


class LessonWorker:
    """The lesson's JobWorker.

    1. moves due delayed jobs (migrate_delayed, the lesson's migrateDelayed);
    2. BLPOPs a job from its queues, waiting up to 4 s (the lesson: 5);
    3. runs it (process_job): counts the attempt, calls the handler, and on an error
       dispatches it again with backoff, or pushes it to the failed list.
    SIGTERM or SIGINT stops the loop after the running job, as the lesson's pcntl_signal does.
    """

    def __init__(
        self,
        redis: RedisClient,
        handlers: Mapping[str, JobHandler],
        max_attempts: int = 3,
        retry_base: float = 60.0,
        prefix: str = "queue:",
        *,
        block_timeout: float = 4.0,
        worker_id: str | None = None,
    ) -> None:
        self.redis = queue_client_for(redis)
        self.handlers = dict(handlers)
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.keys = Keys.for_client(self.redis, prefix)
        self.queue = JobQueue(self.redis, prefix)
        self.scripts = Scripts(self.redis)
        # The lesson waits 5 s; 4 here, since redis-py gives up reading a reply after 5 s (its
        # default socket timeout) and a BLPOP answered after that would lose its job. Up to
        # 4 s pass before a stop signal is noticed (jobs/worker.py: 1 s).
        self.block_timeout = block_timeout
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.running = True
        self.copies: Counter[str] = Counter()
        self.counts = {"processed": 0, "retried": 0, "failed": 0}

    def run(self, queues: Sequence[str] = ("default",), burst: bool = False) -> dict[str, int]:
        """Run jobs from queues until stopped; burst: until a pop finds none."""
        names = [check_queue_name(name) for name in queues]
        if self.keys.cluster and len(names) > 1:
            raise ValueError("The lesson's worker BLPOPs all its queues in one command, which "
                             "a Redis Cluster refuses for keys of several slots: give it one "
                             "queue, or run it on a single Redis")
        with self._stop_signals():
            log.info("Worker started on queue: %s", ", ".join(names))
            by_key = {self.keys.queue(name): name for name in names}
            while self.running:
                self.migrate_delayed()
                # LESSON BUG: at most once. BLPOP takes the job out of Redis: from here to
                # the end of process_job it lives only in this process, and a worker killed
                # now loses it. jobs/fetch.py moves it into the worker's own processing list
                # instead (take.lua), and the reaper (jobs/registry.py) gives it back.
                result = self.redis.blpop(list(by_key), self.block_timeout)
                if not result:
                    if burst:
                        break
                    continue
                key, raw = str(result[0]), str(result[1])
                self.process_job(raw, by_key[key])
        log.info("Worker %s stopped: %s", self.worker_id,
                 ", ".join(f"{count} {name}" for name, count in self.counts.items()))
        return dict(self.counts)

    def stop(self) -> None:
        """Stop after the running job, as the lesson's signal handler does."""
        self.running = False

    def migrate_delayed(self) -> int:
        """The lesson's JobQueue::migrateDelayed, as written, for the delayed set of every
        queue used; return how many moved."""
        moved = 0
        for name in self.queue.queues():
            delayed = self.keys.delayed(name)
            due = self.redis.zrangebyscore(delayed, "-inf", time.time())
            for job_json in map(str, due):
                # LESSON BUG: every due job goes to `default`, whatever its queue, where no
                # worker of the shop's queues looks. migrate_delayed.lua sends each back to
                # its own.
                self.redis.rpush(self.keys.queue("default"), job_json)
                # LESSON BUG: not atomic. Two workers can both read the job and both push it
                # (it runs twice), and a crash between the two lines leaves it in both
                # places. migrate_delayed.lua moves it in one step.
                self.redis.zrem(delayed, job_json)
            moved += len(due)
        return moved

    def process_job(self, raw: str, queue: str) -> None:
        """The lesson's processJob: count the attempt, run the handler, retry or fail."""
        try:
            job = Job.from_json(raw)
        except MalformedJob as malformed:
            # LESSON BUG: json_decode gives null, processJob(null) throws a TypeError the
            # catch never sees, and the worker dies with the message gone. Here it goes to
            # the failed list with its reason, as jobs/outcomes.py's Malformed does.
            log.error("[ERROR] Malformed job moved to failed: %s", malformed)
            self.redis.rpush(self.keys.failed(queue), json.dumps(
                {"raw": raw, "error": f"Malformed job: {malformed}", "failed_at": time.time()}))
            self.counts["failed"] += 1
            return
        job = replace(job, queue=queue)  # its state and lists are its queue's
        job = replace(job, attempts=self._start(job))  # $job['attempts']++
        started_at = time.time()
        try:
            handler = self.handlers.get(job.handler)
            if handler is None:
                # LESSON BUG: retried like any error, though no retry can help.
                # Worker.handle_failure sends it straight to the failed list.
                raise UnknownHandler(f"Unknown handler: {job.handler}")
            handler.handle(job.payload)
            log.info("[OK] Job %s processed (handler %s)", job.id, job.handler)
            self._done(job, started_at, None, None)
            self.counts["processed"] += 1
        # The lesson's catch (Throwable $e): this loop's one per-job boundary.
        except Exception as raised:
            error = describe(raised)
            log.error("[ERROR] Job %s: %s (handler %s)", job.id, error, job.handler)
            if job.attempts < self.max_attempts:
                self._retry(job, queue, started_at, error)
            else:
                self._done(job, started_at, error, failed_entry(job, error, time.time()))
                self.counts["failed"] += 1

    def _retry(self, job: Job, queue: str, started_at: float, error: str) -> None:
        """The lesson's retry: dispatch the payload again, with backoff."""
        copy_of = f"{job.handler} {dumps(job.payload)}"
        if self.copies[copy_of] >= MAX_COPIES:
            # Not the lesson's: it would go on for ever (see below); this caps it.
            error = f"{error} (the lesson would retry for ever; stopped after {MAX_COPIES})"
            self._done(job, started_at, error, failed_entry(job, error, time.time()))
            self.counts["failed"] += 1
            return
        self.copies[copy_of] += 1
        delay = 2**job.attempts * self.retry_base
        # LESSON BUG: dispatch makes a new job, with a new id and attempts back at 0, so
        # `attempts < maxAttempts` holds every time and the job is retried for ever; and the
        # job you were watching is gone (the order page shows it failed). Worker.handle_failure
        # keeps the job and its attempts (retry.lua) and stops after max_attempts.
        copy_id = self.queue.dispatch(queue, job.handler, job.payload, delay)
        log.warning("[RETRY] Job %s dispatched again as %s in %g s (handler %s)",
                    job.id, copy_id, delay, job.handler)
        self._done(job, started_at, f"{error}; dispatched again as a new job {copy_id}", None)
        self.counts["retried"] += 1

    def _start(self, job: Job) -> int:
        """Mark the job running and count its attempt (start.lua); return the attempt."""
        args = [repr(time.time()), self.worker_id, job.attempts]
        (attempt,) = self.scripts.call(Call("start", [self.keys.job(job.queue, job.id)], args))
        return int(attempt)

    def _done(self, job: Job, started_at: float, error: str | None, entry: str | None) -> None:
        """Record how the attempt ended, and the failed entry if any (lesson_done.lua)."""
        finished_at = time.time()
        state = "succeeded" if error is None else "failed"
        history = dumps({"attempt": job.attempts, "worker": self.worker_id,
                         "started_at": started_at, "finished_at": finished_at,
                         "outcome": state, "error": error})
        queue = job.queue
        counter = self.keys.stats(queue, "processed" if error is None else "failed",
                                  minute_of(finished_at))
        keys = [self.keys.job(queue, job.id), counter, self.keys.handler_stats(queue),
                self.keys.failed(queue)]
        args = [state, error or "", history, repr(started_at), repr(finished_at), job.handler,
                bucket_of(finished_at - started_at), WEEK_SECONDS, MINUTE_COUNTER_SECONDS,
                entry or ""]
        self.scripts.call(Call("lesson_done", keys, args))

    @contextmanager
    def _stop_signals(self) -> Iterator[None]:
        """pcntl_signal(SIGTERM and SIGINT, fn() => $this->running = false), then restored."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("Received %s: finishing the current job, then stopping",
                     signal.Signals(signum).name)
            self.running = False

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
