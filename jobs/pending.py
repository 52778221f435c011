"""PendingOutcomes: the outcomes of finished jobs, waiting to be recorded together."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from jobs.connection import UNREACHABLE
from jobs.outcomes import Outcome

log = logging.getLogger(__name__)


class PendingOutcomes:
    """Outcomes waiting to be recorded: taken by the next fetch, or sent by a thread once
    the oldest has waited max_wait_seconds."""

    def __init__(self, send: Callable[[list[Outcome]], int], max_wait_seconds: float) -> None:
        self.send = send
        self.max_wait_seconds = max_wait_seconds
        self._lock = threading.Lock()
        self._pending: list[Outcome] = []
        self._since = 0.0
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopped.clear()
        self._thread = threading.Thread(target=self._send_old, daemon=True, name="outcomes")
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread.is_alive():
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
            return self.send(outcomes)
        except UNREACHABLE:
            self.give_back(outcomes)
            raise

    def _send_old(self) -> None:
        while not self._stopped.wait(self.max_wait_seconds):
            with self._lock:
                due = bool(self._pending) and (
                    time.monotonic() - self._since >= self.max_wait_seconds)
            if not due:
                continue
            # On an outage the fetch reports it, and sends them when Redis is back.
            with contextlib.suppress(*UNREACHABLE):
                warn_stale(self.flush())


def count_stale(results: list[Any]) -> int:
    """Count the outcomes a script refused because the job was no longer held."""
    flags: list[Any] = []
    for result in results:
        flags += result if isinstance(result, list) else [result]
    return flags.count(0)


def warn_stale(stale: int) -> None:
    if stale:
        log.warning("%d outcomes dropped: their jobs were taken back", stale)
