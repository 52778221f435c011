"""Every Redis key the project uses, built in one place (Keys).

Each queue has its own keys, named after it; a few keys are shared by all the queues.

| key                                | type | holds                                        |
| ---------------------------------- | ---- | -------------------------------------------- |
| `queue:<name>`                     | list | job JSON waiting to run, oldest first        |
| `queue:marker:<name>`              | zset | one member, `next`, scored 0 while the queue |
|                                    |      | has jobs, else by the earliest due time of   |
|                                    |      | its delayed jobs: what a blocked worker      |
|                                    |      | waits on (jobs/wakeup.py)                    |
| `queue:delayed:<name>`             | zset | job JSON scored by due time (unix s, by      |
|                                    |      | Redis's clock)                               |
| `queue:processing:<name>:<worker>` | list | job JSON a worker took from the queue and    |
|                                    |      | has not finished                             |
| `queue:failed:<name>`              | list | job JSON + `error` + `failed_at`             |
| `queue:job:<name>:<id>`            | hash | state, attempts, error, timestamps, and one  |
|                                    |      | `run:<n>` history entry (JSON) per attempt   |
| `queue:stats:<name>:processed:<m>` | str  | jobs succeeded in unix minute m (kept 2 h)   |
| `queue:stats:<name>:failed:<m>`    | str  | jobs failed for good in minute m (kept 2 h)  |
| `queue:stats:<name>:handlers`      | hash | `<handler>:processed`, `:failed`, `:seconds` |
|                                    |      | and `:le:<bound>` duration histogram counts  |
| `queue:queues`                     | set  | the name of every queue used, for what reads |
|                                    |      | them all (as RQ's `rq:queues`)               |
| `queue:workers`                    | zset | worker ids scored by last heartbeat (unix s, |
|                                    |      | by Redis's clock: jobs/clock.py)             |
| `queue:worker:<id>`                | hash | a worker's queues, pid, host, started_at     |
| `queue:reaper`                     | str  | the id of the worker reaping now (a lock)    |
| `queue:demo:payment`               | hash | the demo's payment latency and failure rate  |
|                                    |      | (the shop's own key, not the queue's)        |
| `queue:relay`                      | str  | the process relaying the shop's outbox now   |
|                                    |      | (a lock; the shop's own key)                 |

| key                     | written by (jobs/lua/*.lua, or the class)   | read by                |
| ----------------------- | ------------------------------------------- | ---------------------- |
| `queue:<name>`          | enqueue, QueueClient.push, migrate_delayed, | fetch (take), pop,     |
|                         | requeue, reap, retry_failed                 | dashboards             |
| `queue:marker:<name>`   | every script that adds a job to the queue,  | fetch (BZPOPMIN, the   |
|                         | or to its delayed set (schedule, retry)     | blocking wait)         |
| `queue:delayed:<name>`  | schedule, retry                             | migrate_delayed, dash. |
| `queue:processing:...`  | take                                        | ack, retry, fail,      |
|                         |                                             | requeue, reap, dash.   |
| `queue:failed:<name>`   | fail, reap, lesson_done                     | FailedList, dashboards |
| `queue:job:<name>:<id>` | enqueue, schedule, start, ack, retry, fail, | JobQueue.states (the   |
|                         | requeue, reap, retry_failed, lesson_done    | order page), invariant |
| `queue:stats:<name>:*`  | ack, fail, lesson_done                      | dashboards, /metrics   |
| `queue:queues`          | QueueClient (first push to a queue),        | JobQueue.queues        |
|                         | WorkerRegistry.register                     |                        |
| `queue:workers`         | WorkerRegistry (register, heartbeat),       | the reaper, dashboards |
|                         | unregister                                  |                        |
| `queue:worker:<id>`     | WorkerRegistry (register, unregister)       | the reaper, dashboards |
| `queue:reaper`          | WorkerRegistry.lock_reaper                  | WorkerRegistry         |
| `queue:demo:payment`    | the shop's demo panel                       | the payment handler    |
| `queue:relay`           | the shop's RelayLock                        | the shop's RelayLock   |

A job is always in exactly one of its queue's lists or its delayed set: the scripts move
it atomically, and its hash says what happened to it. Workers take from the queue lists
into their own processing lists (jobs/fetch.py); the reaper gives the jobs of a dead
worker (one whose heartbeat in `queue:workers` is too old) back to their queues. (Not so
the lesson's own worker, jobs/lesson_worker.py, which BLPOPs: that is the bug it is there
to show.) `LLEN queue:emails` counts the emails waiting, as in the lesson.

Why per queue: every script that moves a job names only keys of the job's queue. On a
Redis Cluster (Keys(cluster=True), chosen by Keys.for_client for a RedisCluster client)
the queue's name is written in braces, `queue:{emails}`, `queue:delayed:{emails}`...:
Redis hashes only the part in braces (a hash tag; BullMQ does the same), so all of one
queue's keys are in one slot, each script runs on one node, and the queues spread over
the nodes. The shared keys are never named in the same script as a queue's.

`queue:` is the default prefix; a `JobQueue`, `QueueClient` or `Worker` built with another
prefix uses that instead, so tests and apps can share one Redis.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from redis.cluster import RedisCluster

# Queue names that would collide with the keys above.
RESERVED_QUEUE_NAMES = frozenset(
    {"delayed", "failed", "processing", "job", "queues", "workers", "worker", "reaper", "stats",
     "marker", "relay"}
)
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_JOB_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


def check_queue_name(name: str) -> str:
    """Return name if it can be a queue name, else raise ValueError saying why."""
    if not isinstance(name, str) or not _QUEUE_NAME.fullmatch(name):
        raise ValueError(f"Invalid queue name {name!r}: use 1-64 letters, digits, '_', '.', '-'")
    if name in RESERVED_QUEUE_NAMES:
        raise ValueError(f"Invalid queue name {name!r}: it is reserved for the queue's own keys")
    return name


@functools.lru_cache(maxsize=1024)
def _key_name(queue: str, cluster: bool) -> str:
    # Cached: each job's outcome builds four keys of its queue, on the worker's hot path.
    check_queue_name(queue)
    return "{" + queue + "}" if cluster else queue


def is_queue_name(name: str) -> bool:
    """True if name can be a queue name."""
    try:
        check_queue_name(name)
    except ValueError:
        return False
    return True


def check_job_id(job_id: str) -> str:
    """Return job_id if it can name a job, else raise ValueError saying why."""
    if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
        raise ValueError(
            f"Invalid job id {job_id!r}: use 1-128 letters, digits, '_', '.', ':', '-'"
        )
    return job_id


@dataclass(frozen=True)
class Keys:
    """Builds every key name from one prefix.

    A queue's own keys end with its name. On a Redis Cluster (cluster=True) that name is
    written in braces, `queue:{emails}`, `queue:delayed:{emails}`...: Redis hashes only
    what is inside the braces (a hash tag), so all of one queue's keys are in one slot,
    its scripts run on one node, and different queues spread over the nodes.
    """

    prefix: str = "queue:"
    cluster: bool = False

    def _name(self, queue: str) -> str:
        """The queue's name as its keys end with it: in braces on a cluster."""
        return _key_name(queue, self.cluster)

    def queue(self, name: str) -> str:
        return self.prefix + self._name(name)

    def marker(self, name: str) -> str:
        return f"{self.prefix}marker:{self._name(name)}"

    def delayed(self, queue: str) -> str:
        return f"{self.prefix}delayed:{self._name(queue)}"

    def failed(self, queue: str) -> str:
        return f"{self.prefix}failed:{self._name(queue)}"

    def processing(self, queue: str, worker_id: str) -> str:
        return f"{self.prefix}processing:{self._name(queue)}:{worker_id}"

    def job(self, queue: str, job_id: str) -> str:
        return f"{self.prefix}job:{self._name(queue)}:{job_id}"

    def stats(self, queue: str, outcome: str, minute: int) -> str:
        return f"{self.prefix}stats:{self._name(queue)}:{outcome}:{minute}"

    def handler_stats(self, queue: str) -> str:
        return f"{self.prefix}stats:{self._name(queue)}:handlers"

    @property
    def queues(self) -> str:
        return self.prefix + "queues"

    @property
    def workers(self) -> str:
        return self.prefix + "workers"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}worker:{worker_id}"

    @property
    def reaper(self) -> str:
        return self.prefix + "reaper"

    @property
    def demo_payment(self) -> str:
        return self.prefix + "demo:payment"

    @property
    def relay(self) -> str:
        return self.prefix + "relay"

    @classmethod
    def for_client(cls, redis: object, prefix: str = "queue:") -> Keys:
        """The keys for a client: with hash tags if it is a Redis Cluster client."""
        return cls(prefix, cluster=isinstance(redis, RedisCluster))

    def slot_groups(self, queues: Sequence[str]) -> list[list[str]]:
        """The queues one script call may name together: all of them on a single Redis, one
        each on a cluster, where one call's keys must all be in one slot."""
        return [[queue] for queue in queues] if self.cluster else [list(queues)]
