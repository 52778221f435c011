"""ServerClock: the Redis server's time, so hosts whose clocks disagree agree on due times.

Due times, heartbeats and the reaper's "silent since" all compare times written by one
process with times read by another, often on other hosts. Each host's clock drifts; the one
clock they all reach is the Redis server's. Reading it (TIME) for every timestamp would add
a round trip to every fetch, so a ServerClock learns the offset between this host's clock
and the server's with one TIME now and then, and adds it to the host's time.
"""

from __future__ import annotations

import time

from jobs.connection import RedisClient

__all__ = ["ServerClock"]

# How old a learned offset may be before now() learns it again. A worker's heartbeat
# learns it far more often (every recovery_timeout / 3), so its fetch never waits on TIME.
RESYNC_SECONDS = 60.0


class ServerClock:
    """The Redis server's clock, read as the host's time plus an offset learned with TIME."""

    def __init__(self, redis: RedisClient, resync_seconds: float = RESYNC_SECONDS) -> None:
        self.redis = redis
        self.resync_seconds = resync_seconds
        self.offset_seconds = 0.0
        self._synced_at: float | None = None  # time.monotonic() of the last sync

    def sync(self) -> None:
        """Learn the offset from the server's TIME, taken as read halfway through the trip."""
        before = time.time()
        seconds, microseconds = self.redis.time()
        after = time.time()
        self.offset_seconds = seconds + microseconds / 1e6 - (before + after) / 2
        self._synced_at = time.monotonic()

    def now(self) -> float:
        """The server's time now, in unix seconds; learns the offset first if it is stale."""
        if self._synced_at is None or time.monotonic() - self._synced_at > self.resync_seconds:
            self.sync()
        return time.time() + self.offset_seconds
