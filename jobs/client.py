"""QueueClient: the lesson's push and pop, and the atomic pushes that dispatch uses."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import orjson

from jobs.clock import ServerClock
from jobs.connection import RedisClient, queue_client_for
from jobs.job import Job, MalformedJob
from jobs.keys import Keys, check_queue_name
from jobs.scripts import Call, Scripts

# The longest single BLPOP pop sends: well under redis-py's default socket timeout (5 s).
POP_WAIT_SECONDS = 1.0
# How many due delayed jobs one migrate_delayed call moves at most.
MIGRATE_LIMIT = 1000


class QueueClient:
    """Puts jobs on Redis lists and takes them off.

    1. push and pop are the lesson's two primitives, as the lesson writes them: RPUSH a
       JSON envelope onto `queue:<name>` (and set the queue's marker, which wakes a Worker
       blocked on it), BLPOP it. pop is at most once: a job popped by
       a process that then dies is gone. The Worker never pops: it takes jobs with the
       reliable fetch of jobs/fetch.py, which keeps each job in Redis until it is done.
    2. enqueue puts a Job on its queue, or in its queue's delayed set, together with its
       state hash, in one script (enqueue.lua, schedule.lua); enqueue_many does it for many.
    3. migrate_delayed moves due delayed jobs onto their queues (migrate_delayed.lua).

    Pass it the application's own redis-py client: it derives a client with the settings
    it needs when that one has others (jobs/connection.py). With wait_replicas, enqueue
    returns only once that many replicas have the job (Redis's WAIT), and raises
    NotReplicated if they do not within wait_timeout_seconds: see docs/guarantees.md.
    """

    def __init__(self, redis: RedisClient, prefix: str = "queue:", *, wait_replicas: int = 0,
                 wait_timeout_seconds: float = 1.0) -> None:
        self.redis = queue_client_for(redis)
        self.keys = Keys.for_client(self.redis, prefix)
        if wait_replicas and self.keys.cluster:
            # redis-py sends WAIT to one node of the cluster, not to the connection that
            # wrote the job: it would count nothing.
            raise ValueError("wait_replicas is not supported on a Redis Cluster")
        self.scripts = Scripts(self.redis, wait_replicas, wait_timeout_seconds)
        self._announced: set[str] = set()
        # Due times are on the server's clock, which every worker compares them with
        # (schedule.lua reads it with TIME).
        self.clock = ServerClock(self.redis)

    def push(self, queue: str, data: dict[str, Any]) -> str:
        """Add data to the end of queue, wrapped as the lesson does (id, payload,
        created_at); return the id. Its handler is data's "type", as the lesson's worker
        reads it, so a Worker can run it too."""
        if not isinstance(data, dict):
            raise TypeError(f"data must be a dict, got {type(data).__name__}")
        job = Job(handler=str(data.get("type", "")), payload=data, queue=check_queue_name(queue))
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self.keys.queue(queue), job.to_json())
            pipe.zadd(self.keys.marker(queue), {"next": 0}, lt=True)  # wakes a blocked worker
            pipe.execute()
        if queue not in self._announced:  # after: a transaction's keys must share a slot
            self.redis.sadd(self.keys.queues, queue)
            self._announced.add(queue)
        return job.id

    def pop(self, queue: str, timeout: float = 0) -> dict[str, Any] | None:
        """Take the job at the head of queue, waiting up to timeout seconds (0: for ever);
        return it as a dict, or None after the timeout. At most once: see the class."""
        reply = self._blpop(self.keys.queue(queue), timeout)
        if reply is None:
            return None
        try:
            data = orjson.loads(reply[1])
        except orjson.JSONDecodeError as error:
            raise MalformedJob(f"not JSON: {error}") from None
        if not isinstance(data, dict):
            raise MalformedJob("not a JSON object")
        return data

    def _blpop(self, key: str, timeout: float) -> Any:
        """BLPOP key for up to timeout seconds (0: for ever), in waits well within the
        client's socket timeout: redis-py gives up reading a reply after it (5 s by default),
        so one long BLPOP would raise instead of waiting."""
        socket_timeout = self.redis.get_connection_kwargs().get("socket_timeout")
        longest = min(POP_WAIT_SECONDS, socket_timeout / 2) if socket_timeout else POP_WAIT_SECONDS
        deadline = None if timeout == 0 else time.monotonic() + timeout
        while True:
            left = longest if deadline is None else deadline - time.monotonic()
            reply = self.redis.blpop([key], max(min(left, longest), 0.01))
            if reply is not None or (deadline is not None and time.monotonic() >= deadline):
                return reply

    def enqueue(self, job: Job, delay_seconds: float = 0.0) -> bool:
        """Queue a job now, or after delay_seconds, with its state (one round trip).

        Return False, and change nothing, if a job with its id was queued before.
        """
        return bool(self._send([self._enqueue_call(job, delay_seconds)], [job.queue])[0])

    def enqueue_all(self, jobs: Sequence[tuple[Job, float]]) -> list[bool]:
        """Enqueue several jobs, each with its delay, in one round trip; True for each new one."""
        calls = [self._enqueue_call(job, delay_seconds) for job, delay_seconds in jobs]
        queues = [job.queue for job, _ in jobs]
        return [bool(queued) for queued in self._send(calls, queues)] if calls else []

    def enqueue_many(self, queue: str, handler: str, jobs: Sequence[Job]) -> int:
        """Queue many new jobs of one handler on one queue in one round trip; return how
        many were new (a job whose id was queued before is skipped)."""
        if not jobs:
            return 0
        keys = [self.keys.queue(queue), self.keys.marker(queue),
                *(self.keys.job(queue, job.id) for job in jobs)]
        args = [repr(time.time()), queue, handler, *(job.to_json() for job in jobs)]
        return int(self._send([Call("enqueue_many", keys, args)], [queue])[0])

    def migrate_delayed(self, queues: Sequence[str]) -> int:
        """Move due delayed jobs of these queues onto them; return how many moved."""
        now = self.clock.now()
        calls = [migrate_delayed_call(self.keys, group, now)
                 for group in self.keys.slot_groups(queues)]
        return sum(int(moved) for moved, _ in self.scripts.run(calls)) if calls else 0

    def _send(self, calls: Sequence[Call], queues: Sequence[str]) -> list[Any]:
        """Send calls that add jobs to queues; the first time this client uses a queue, also
        add it, in the same round trip, to the set of every queue used, `queue:queues`:
        what reads every queue (the failed lists, a dashboard) finds them there, as on a
        Redis Cluster it could not SCAN one keyspace."""
        new = sorted(set(queues) - self._announced)
        if not new and len(calls) == 1:
            return [self.scripts.call(calls[0])]
        replies = self.scripts.run(calls, [("SADD", self.keys.queues, *new)] if new else [])
        self._announced.update(new)
        return replies

    def _enqueue_call(self, job: Job, delay_seconds: float) -> Call:
        queue = job.queue
        if delay_seconds > 0:
            keys = [self.keys.delayed(queue), self.keys.job(queue, job.id), self.keys.marker(queue)]
            return Call("schedule", keys, [job.to_json(), repr(delay_seconds)])
        keys = [self.keys.queue(queue), self.keys.job(queue, job.id), self.keys.marker(queue)]
        return Call("enqueue", keys, [job.to_json()])


def migrate_delayed_call(keys: Keys, queues: Sequence[str], now: float) -> Call:
    """The call moving the delayed jobs of these queues due at now (the server's clock, unix
    seconds) onto them (migrate_delayed.lua); on a cluster, queues must share a slot."""
    script_keys = [key for queue in queues
                   for key in (keys.delayed(queue), keys.queue(queue), keys.marker(queue))]
    return Call("migrate_delayed", script_keys, [repr(now), MIGRATE_LIMIT])
