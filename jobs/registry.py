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

from redis.exceptions import RedisError

from jobs.clock import ServerClock
from jobs.connection import RedisClient
from jobs.job import Job
from jobs.keys import Keys, is_queue_name
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

    def __init__(self, redis: RedisClient, keys: Keys, worker_id: str, max_recoveries: int) -> None:
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
        # The description first, so a reaper that finds the worker registered finds what
        # it serves; not one transaction, as on a cluster the keys may be on two nodes.
        with self.redis.pipeline(transaction=False) as pipe:
            # redis-py's type for mapping wants a Mapping of a union, not of str.
            pipe.hset(self.keys.worker(self.worker_id), mapping=description)  # type: ignore[arg-type]
            pipe.zadd(self.keys.workers, {self.worker_id: now})
            if queues:
                pipe.sadd(self.keys.queues, *queues)
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

    def reap(self, worker_id: str, dead_before: float,
             queues: Sequence[str] | None = None) -> tuple[int, int]:
        """Give a dead worker's jobs back to their queues; return (returned, failed).

        queues: those it served, if known; else those its description names and every
        queue used (`queue:queues`), so none is missed. Each queue's jobs move in one script
        (reap.lua), then the worker leaves the registry unless it beat since dead_before
        (unregister.lua). A worker that was only slow, and beat between the check and the
        move, finds its jobs given back: they run again, and its own outcomes for them are
        stale (at least once, never lost).
        """
        if queues is None:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.hget(self.keys.worker(worker_id), "queues")
                pipe.smembers(self.keys.queues)
                served, used = pipe.execute()
            names = [*str(served or "").split(","), *sorted(used)]
            queues = [name for name in dict.fromkeys(names) if is_queue_name(name)]
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zscore(self.keys.workers, worker_id)
            for queue in queues:
                pipe.lrange(self.keys.processing(queue, worker_id), 0, -1)
            heartbeat, *lists = pipe.execute()
        if heartbeat is not None and float(heartbeat) >= dead_before:
            return 0, 0  # alive after all: nothing was touched
        now = self.clock.now()
        held = [Taken.parse(str(raw), queue)
                for queue, raws in zip(queues, lists, strict=True) for raw in raws]
        calls = [self._reap_call(worker_id, queue, now, [
            (t.raw, t.job) for t in held if t.queue == queue and t.job is not None])
            for queue in queues]
        calls += [Malformed(t.raw, t.queue, worker_id, t.malformed or "", now).call(self.keys)
                  for t in held if t.job is None]
        replies = self.scripts.run(calls) if calls else []
        returned = sum(int(reply[0]) for reply in replies[: len(queues)])
        failed = sum(int(reply[1]) for reply in replies[: len(queues)])
        failed += len(calls) - len(queues) - count_stale(replies[len(queues):])
        self.unregister(worker_id, dead_before)
        return returned, failed

    def unregister(self, worker_id: str, dead_before: float) -> bool:
        """Take the worker off the registry unless it beat since dead_before."""
        call = Call("unregister", [self.keys.workers], [worker_id, repr(dead_before)])
        if not self.scripts.call(call):
            return False
        self.redis.delete(self.keys.worker(worker_id))
        return True

    def _reap_call(self, worker_id: str, queue: str, now: float,
                   held: list[tuple[str, Job]]) -> Call:
        error = f"abandoned {self.max_recoveries + 1} times"
        keys = [self.keys.processing(queue, worker_id), self.keys.queue(queue),
                self.keys.marker(queue), self.keys.failed(queue)]
        args: list[Any] = [worker_id, self.max_recoveries, repr(now)]
        for raw, job in reversed(held):  # each goes onto the front: last first keeps the order
            keys.append(self.keys.job(queue, job.id))
            args += [raw, failed_entry(job, error, now)]
        return Call("reap", keys, args)


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
