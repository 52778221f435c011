"""Heartbeat: the thread beside a worker's loop that shows it alive and reaps the dead."""

from __future__ import annotations

import logging
import threading
import time

from redis.exceptions import RedisError

from jobs.registry import WorkerRegistry

log = logging.getLogger(__name__)


class Heartbeat(threading.Thread):
    """Runs beside the worker loop, so a slow handler never makes a live worker look dead.

    1. every `recovery_timeout / 3` seconds records the worker alive in `queue:workers`;
    2. every `recovery_timeout / 2` seconds, if no other worker holds the reaper lock,
       gives the jobs of each dead worker (no heartbeat for `recovery_timeout` seconds)
       back to their queues.

    So a killed worker's jobs wait at most about 1.5 x recovery_timeout.
    """

    def __init__(self, registry: WorkerRegistry, recovery_timeout: float) -> None:
        super().__init__(name=f"heartbeat-{registry.worker_id}", daemon=True)
        self.registry = registry
        self.recovery_timeout = recovery_timeout
        self.stopped = threading.Event()

    def run(self) -> None:
        beat_every = self.recovery_timeout / 3
        reap_every = self.recovery_timeout / 2
        next_reap = 0.0
        while not self.stopped.wait(beat_every):
            try:
                self.registry.heartbeat()
                if time.monotonic() >= next_reap:
                    next_reap = time.monotonic() + reap_every
                    self.reap_dead(lock_seconds=reap_every)
            except RedisError as error:  # the worker loop reports the outage; keep beating
                log.debug("heartbeat failed: %s", error)
                # Every worker's beats failed too: once Redis is back, reap only after
                # they have all had a full recovery_timeout to beat again.
                next_reap = time.monotonic() + self.recovery_timeout

    def stop(self) -> None:
        """Stop beating; the worker unregisters itself when its list is empty."""
        self.stopped.set()

    def reap_dead(self, lock_seconds: float) -> int:
        """Give back the jobs of every dead worker, if this worker is the reaper now."""
        if not self.registry.lock_reaper(lock_seconds):
            return 0
        dead_before = time.time() - self.recovery_timeout
        total = 0
        for worker_id in self.registry.dead_workers(dead_before):
            returned, failed = self.registry.reap(worker_id, dead_before)
            if returned or failed:
                log.warning(
                    "Worker %s is dead (no heartbeat for %.0f s): %d jobs back on their queues, "
                    "%d failed as abandoned too often",
                    worker_id, self.recovery_timeout, returned, failed,
                )
            total += returned + failed
        return total
