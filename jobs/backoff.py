"""How many times a failed job is tried, and how long it waits before the next attempt."""

from __future__ import annotations

import math
import random as random_module
from collections.abc import Callable
from dataclasses import dataclass


def compute_backoff(
    attempts: int,
    base_seconds: float,
    cap_seconds: float = math.inf,
    jitter: float = 0.0,
    random: Callable[[], float] = random_module.random,
) -> float:
    """Return the retry delay in seconds: min(2**attempts * base_seconds, cap_seconds),
    less up to `jitter` of it at random.

    attempts counts the attempts made so far (1 after the first failure), so with the
    lesson's base of 60 s a job waits 120 s, then 240 s, then 480 s... The jitter (0.1
    takes off up to 10%) keeps jobs that failed together from all retrying at once.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError(f"jitter must be between 0 and 1, got {jitter}")
    # 2.0**1000 is still a float; a higher power would overflow before the cap applies.
    delay = min(2.0 ** min(attempts, 1000) * base_seconds, cap_seconds)
    return delay * (1.0 - jitter * random())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how far apart a job is tried; a handler may have its own as its
    `retry_policy` attribute, else the worker's applies."""

    max_attempts: int = 3
    base_seconds: float = 60.0
    cap_seconds: float = 3600.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_seconds < 0 or self.cap_seconds < 0:
            raise ValueError("base_seconds and cap_seconds must not be negative")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter must be between 0 and 1, got {self.jitter}")

    def delay_seconds(self, attempts: int) -> float:
        """Seconds to wait before the attempt after `attempts`."""
        return compute_backoff(
            attempts, self.base_seconds, self.cap_seconds, self.jitter
        )
