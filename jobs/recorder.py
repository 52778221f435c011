"""Recorder: the outcomes of finished jobs, waiting to be recorded in batches."""

from __future__ import annotations

import logging
import threading
import time

from redis.exceptions import ConnectionError, TimeoutError

from jobs.client import QueueClient
from jobs.outcomes import Outcome

log = logging.getLogger(__name__)


class Recorder:
    """Holds outcomes so that many are recorded in one round trip, but never for long.

    1. the worker adds each job's outcome, and takes the lot into its next fetch;
    2. a thread records any outcome older than `max_wait_seconds`, so the jobs that
       finished before a slow one are not left looking "running" (and, if the worker
       is killed, run again) for as long as the slow job runs.
    """

    def __init__(self, client: QueueClient, max_wait_seconds: float) -> None:
        self.client = client
        self.max_wait_seconds = max_wait_seconds
        self._lock = threading.Lock()
        self._pending: list[Outcome] = []
        self._since = 0.0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._record_old, daemon=True, name="recorder")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def add(self, outcome: Outcome) -> None:
        with self._lock:
            if not self._pending:
                self._since = time.monotonic()
            self._pending.append(outcome)

    def take(self) -> list[Outcome]:
        """Everything pending, for the caller to send; give it back if sending fails."""
        with self._lock:
            taken, self._pending = self._pending, []
            return taken

    def give_back(self, outcomes: list[Outcome]) -> None:
        """Outcomes a failed send did not record: first in line again."""
        with self._lock:
            self._pending[:0] = outcomes
            self._since = time.monotonic()

    def flush(self) -> int:
        """Record every pending outcome now; return how many were stale."""
        outcomes = self.take()
        try:
            return self.client.record(outcomes)
        except (ConnectionError, TimeoutError):
            self.give_back(outcomes)
            raise

    def _record_old(self) -> None:
        while not self._stopped.wait(self.max_wait_seconds):
            with self._lock:
                due = bool(self._pending) and (
                    time.monotonic() - self._since >= self.max_wait_seconds
                )
            if not due:
                continue
            try:
                if stale := self.flush():
                    log.warning("%d outcomes dropped: their jobs were taken back", stale)
            except (ConnectionError, TimeoutError):
                pass  # the worker loop reports the outage and sends them when Redis is back
