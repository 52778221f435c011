"""Alarm: stop a handler that runs past its time, with SIGALRM in the main thread."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class JobInterrupted(BaseException):
    """Raised inside a running handler: its time is up ("timeout"), or the worker is
    stopping ("shutdown", "forced"). A BaseException, so a handler's `except Exception`
    cannot swallow it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Alarm:
    """Interrupts the code running in the main thread after a number of seconds.

    Signals reach only the main thread, so off it (a worker run in a thread, as some
    tests do) the alarm does nothing and handlers run without a time limit.
    """

    def __init__(self) -> None:
        self.enabled = False  # the worker enables it when it handles SIGALRM with ring
        self.reason: str | None = None  # set while a handler runs under the alarm

    @contextmanager
    def armed(self, seconds: float | None, reason: str = "timeout") -> Iterator[None]:
        """Run the block with the alarm set to ring after seconds (None: never)."""
        self.reason = reason
        if self.enabled and seconds:
            signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            self.reason = None
            if self.enabled:
                signal.setitimer(signal.ITIMER_REAL, 0)

    def shorten(self, seconds: float, reason: str) -> None:
        """Ring within seconds, for reason, if a handler is running and would run longer."""
        if not self.enabled or self.reason is None:
            return
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        if remaining == 0 or seconds < remaining:
            self.reason = reason
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def ring_now(self, reason: str) -> None:
        """Interrupt the running handler at once (call from a signal handler only)."""
        if self.reason is not None:
            self.reason = None
            raise JobInterrupted(reason)

    def ring(self, signum: int, frame: FrameType | None) -> None:
        """The SIGALRM handler: interrupt the running handler, if one runs."""
        if self.reason is not None:
            reason, self.reason = self.reason, None
            raise JobInterrupted(reason)
