"""The one way tests wait: poll a condition until it holds, and fail at a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T | None],
    what: str,
    seconds: float = 10.0,
    *,
    interval_seconds: float = 0.01,
    give_up: Callable[[], str | None] = lambda: None,
) -> T:
    """Return condition()'s first value that is neither None nor False; fail after seconds.

    `what` names the awaited thing in the failure message. give_up() may return a reason
    to fail at once (say, the process under test has exited), with that reason.
    """
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value is not None and value is not False:
            return value
        if reason := give_up():
            pytest.fail(f"gave up waiting for {what}: {reason}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds:g} s waiting for {what}")
        time.sleep(interval_seconds)  # the poll interval, not a wait for something to happen
