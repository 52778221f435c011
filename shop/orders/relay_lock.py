"""RelayLock: one relay at a time, across every process that relays (the workers, `flask relay`).

Every worker relays the outbox, so a deployment of web app and workers alone, as in the
lesson, loses no order whose jobs the request could not push. Were they all to scan the
table each second, N workers would make N scans for one's work, and fight over the rows;
so a pass runs only in the process holding this lock.
"""

from __future__ import annotations

import os
import secrets
import socket

from redis import WatchError

from jobs import RedisClient

# A pass takes milliseconds; a holder that dies mid-pass blocks the others this long at most.
HOLD_SECONDS = 30.0


class RelayLock:
    """A Redis lock (`queue:relay`) held for one relay pass by one process at a time."""

    def __init__(self, redis: RedisClient, key: str, hold_seconds: float = HOLD_SECONDS) -> None:
        self.redis = redis
        self.key = key
        self.hold_ms = int(hold_seconds * 1000)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    def acquire(self) -> bool:
        """Take the lock, unless another process holds it."""
        return bool(self.redis.set(self.key, self.holder, nx=True, px=self.hold_ms))

    def release(self) -> None:
        """Give the lock up, if this process still holds it (it may have expired and been
        taken by another: that one's must stay). WATCH makes the check and the delete one
        step: the delete fails if the key changed between them."""
        with self.redis.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(self.key)
                if pipe.get(self.key) != self.holder:
                    return
                pipe.multi()
                pipe.delete(self.key)
                pipe.execute()
            except WatchError:
                pass  # it expired and another took it meanwhile: leave it
