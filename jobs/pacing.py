"""How many jobs a worker takes per fetch: many when jobs are fast, one when they are slow."""

from __future__ import annotations


class BatchSize:
    """As many jobs as run in about prefetch_seconds, from a moving average of durations.

    Taking many slow jobs at once would leave other workers idle while they wait here;
    taking one fast job at a time would spend a round trip on each.
    """

    def __init__(self, prefetch_seconds: float, max_batch: int) -> None:
        self.prefetch_seconds = prefetch_seconds
        self.max_batch = max_batch
        self.seconds_per_job = 0.0

    def next(self) -> int:
        """How many jobs to take now: one until a job's duration is known."""
        if self.seconds_per_job <= 0:
            return 1
        return max(1, min(self.max_batch, int(self.prefetch_seconds / self.seconds_per_job)))

    def learn(self, seconds: float) -> None:
        """Take in a job's duration: a few slow jobs quickly shrink the batch, fast ones grow it."""
        if self.seconds_per_job <= 0:
            self.seconds_per_job = seconds
        else:
            self.seconds_per_job = 0.8 * self.seconds_per_job + 0.2 * seconds
