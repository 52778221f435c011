"""Which workers are alive (WorkerRegistry, kept current by a Heartbeat thread), and giving
a dead worker's jobs back."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from jobs.clock import ServerClock
from jobs.keys import Keys
from jobs.outcomes import Malformed, Taken, failed_entry
from jobs.pending import count_stale
from jobs.scripts import Call, Scripts

log = logging.getLogger(__name__)


class WorkerRegistry:
    """The worker registry `queue:workers` (id -> last heartbeat) for one worker.

    1. register and heartbeat record this worker alive, with what it serves;
    2. reap gives the jobs held by a dead worker (no heartbeat since `dead_before`) back to
       the front of their queues, or to the failed list once a job has been abandoned more
       than max_recoveries times, so a job that crashes every worker cannot loop forever;
    3. lock_reaper makes one worker at a time the reaper.
    """

    def __init__(self, redis: Redis, keys: Keys, worker_id: str, max_recoveries: int) -> None:
        self.redis = redis
        self.keys = keys
        self.worker_id = worker_id
        self.max_recoveries = max_recoveries
        self.scripts = Scripts(redis)
        # Heartbeats and the reaper's cutoff are on the server's clock: a host whose clock
        # is ahead would otherwise take every other worker for dead.
        self.clock = ServerClock(redis)

    def register(self, queues: Sequence[str]) -> None:
        """Record this worker as alive now, and what it serves (for dashboards)."""
        self.clock.sync()
        now = self.clock.now()
        description = {
            "queues": ",".join(queues), "pid": str(os.getpid()), "host": socket.gethostname(),
            "started_at": repr(now),
        }
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.keys.workers, {self.worker_id: now})
            # redis-py's type for mapping wants a Mapping of a union, not of str.
            pipe.hset(self.keys.worker(self.worker_id), mapping=description)  # type: ignore[arg-type]
            pipe.execute()

    def heartbeat(self) -> None:
        """Record this worker as alive now; learn the server's clock afresh first."""
        self.clock.sync()
        self.redis.zadd(self.keys.workers, {self.worker_id: self.clock.now()})

    def lock_reaper(self, seconds: float) -> bool:
        """Become the one reaper for `seconds`, unless another worker is."""
        ttl_ms = max(1, int(seconds * 1000))
        return bool(self.redis.set(self.keys.reaper, self.worker_id, nx=True, px=ttl_ms))

    def dead_workers(self, dead_before: float) -> list[str]:
        """Ids of registered workers whose last heartbeat is older than dead_before."""
        return [str(w) for w in self.redis.zrangebyscore(self.keys.workers, "-inf", dead_before)]

    def reap(self, worker_id: str, dead_before: float) -> tuple[int, int]:
        """Give a dead worker's jobs back to their queues; return (returned, failed).

        A worker that is alive after all (it beat since dead_before) is left alone. Reaping
        a worker that holds nothing takes it off the registry.
        """
        processing = self.keys.processing(worker_id)
        held = [Taken.parse(str(raw)) for raw in self.redis.lrange(processing, 0, -1)]
        jobs = [(taken.raw, taken.job) for taken in held if taken.job is not None]
        now = self.clock.now()
        error = f"abandoned {self.max_recoveries + 1} times"
        keys = [self.keys.workers, processing, self.keys.failed, self.keys.worker(worker_id)]
        args: list[Any] = []
        for raw, job in reversed(jobs):  # each goes onto the front: last first keeps the order
            keys += [self.keys.queue(job.queue), self.keys.job(job.id), self.keys.marker(job.queue)]
            args += [raw, failed_entry(job, error, now)]
        (result,) = self.scripts.run([self._reap_call(worker_id, dead_before, now, keys, args)])
        if not result:
            return 0, 0  # alive after all: nothing was touched
        returned, failed = int(result[0]), int(result[1])
        malformed = [Malformed(taken.raw, taken.malformed or "", now).call(self.keys, processing)
                     for taken in held if taken.job is None]
        if malformed:
            # Rare (a worker died holding data that is not a job): fail it, then reap again,
            # now with nothing held, to take the worker off the registry.
            failed += len(malformed) - count_stale(self.scripts.run(malformed))
            self.scripts.run([self._reap_call(worker_id, dead_before, now, keys[:4], [])])
        return returned, failed

    def _reap_call(
        self, worker_id: str, dead_before: float, now: float, keys: list[str], args: list[Any]
    ) -> Call:
        return Call("reap", keys, [worker_id, repr(dead_before), self.max_recoveries, repr(now),
                                   *args])


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
        dead_before = self.registry.clock.now() - self.recovery_timeout
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
