"""How long a failed job waits before its next attempt."""

from __future__ import annotations


def compute_backoff(attempts: int, base_seconds: float) -> float:
    """Return the retry delay in seconds: 2**attempts * base_seconds.

    attempts counts the attempts made so far (1 after the first failure), so with the
    lesson's base of 60 s a job waits 120 s, then 240 s, then 480 s...
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    return float(2**attempts) * base_seconds
