"""How an idle worker waits for work: blocked on its queues' markers, woken by a new job.

Every script that adds a job to a queue sets the queue's marker, `queue:marker:<name>`
(jobs/keys.py), a sorted set whose one member is scored 0 while the queue has jobs, or by
its earliest due time. On a single Redis, one BZPOPMIN waits on the markers of all the
worker's queues at once (BullMQ waits the same way).

On a Redis Cluster each queue's keys are in a slot of their own, and one command may not
name keys in two slots, so a worker serving several queues waits with one thread, and one
blocking connection, per queue. A thread that wins a marker after the worker has already
woken puts it back, so another idle worker still wakes for the job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

MEMBER = "next"  # the marker's one member
OUTAGE_PAUSE_SECONDS = 0.5  # how long a waiting thread pauses when Redis does not answer


class MarkerWait:
    """Blocks until one of several markers is set, or a timeout passes."""

    def __init__(self, redis: Any, markers: Sequence[str], *, one_slot: bool) -> None:
        self.redis = redis
        self.markers = list(markers)
        self._threads: _PerMarker | None = None
        if not one_slot and len(self.markers) > 1:
            self._threads = _PerMarker(redis, self.markers)

    def wait(self, timeout: float) -> None:
        """Return when a marker is set (taking it), or after timeout seconds."""
        if self._threads is None:
            self.redis.bzpopmin(self.markers, timeout)
        else:
            self._threads.wait(timeout)

    def close(self) -> None:
        if self._threads is not None:
            self._threads.close()


class _PerMarker:
    """One daemon thread per marker, blocking on it only while the worker waits."""

    def __init__(self, redis: Any, markers: list[str]) -> None:
        self.redis = redis
        self.timeout = 1.0
        self.waiting = threading.Event()  # the worker is waiting: block on the markers
        self.woken = threading.Event()  # a marker was set while the worker waited
        self.closed = threading.Event()
        for marker in markers:
            threading.Thread(target=self._watch, args=(marker,), name=f"wait-{marker}",
                             daemon=True).start()

    def wait(self, timeout: float) -> None:
        self.timeout = timeout
        self.woken.clear()
        self.waiting.set()
        try:
            self.woken.wait(timeout)
        finally:
            self.waiting.clear()

    def close(self) -> None:
        self.closed.set()
        self.waiting.set()  # release the threads, which then see closed

    def _watch(self, marker: str) -> None:
        while True:
            self.waiting.wait()
            if self.closed.is_set():
                return
            try:
                popped = self.redis.bzpopmin([marker], self.timeout)
                if popped is None:
                    continue
                if self.waiting.is_set():
                    self.woken.set()
                else:
                    # The worker woke for another queue meanwhile; it will take this job
                    # in its next fetch anyway, but another idle worker may be sooner.
                    _, _, score = popped
                    self.redis.zadd(marker, {MEMBER: score}, lt=True)
            except RedisError as error:
                # The worker's own fetch meets the same outage and reports it.
                log.debug("waiting on %s: %s", marker, error)
                self.closed.wait(OUTAGE_PAUSE_SECONDS)
