"""Every Redis key the project uses, built in one place (Keys).

| key                         | type | holds                                             |
| --------------------------- | ---- | ------------------------------------------------- |
| `queue:<name>`              | list | job JSON waiting to run, oldest first             |
| `queue:marker:<name>`       | zset | one member, `next`, scored 0 while the queue has  |
|                             |      | jobs, else by the earliest due time of one of its |
|                             |      | delayed jobs: what a blocked worker waits on      |
| `queue:delayed`             | zset | job JSON scored by due time (unix s, by Redis's   |
|                             |      | clock)                                            |
| `queue:processing:<worker>` | list | job JSON a worker took and has not finished       |
| `queue:failed`              | list | job JSON + `error` + `failed_at`                  |
| `queue:job:<id>`            | hash | state, attempts, error, timestamps, and one       |
|                             |      | `run:<n>` history entry (JSON) per attempt ended  |
| `queue:workers`             | zset | worker ids scored by last heartbeat (unix s, by   |
|                             |      | Redis's clock: jobs/clock.py)                     |
| `queue:worker:<id>`         | hash | a worker's queues, pid, host, started_at          |
| `queue:reaper`              | str  | the id of the worker reaping now (a lock)         |
| `queue:stats:processed:<m>` | str  | jobs succeeded in unix minute m (kept 2 h)        |
| `queue:stats:failed:<m>`    | str  | jobs failed for good in minute m (kept 2 h)       |
| `queue:stats:handlers`      | hash | `<handler>:processed`, `:failed`, `:seconds`, and |
|                             |      | `:le:<bound>` duration histogram counts           |
| `queue:demo:payment`        | hash | the demo's payment latency and failure rate (the  |
|                             |      | shop's own key, not the queue's)                  |
| `queue:relay`               | str  | the process relaying the shop's outbox now (a     |
|                             |      | lock; the shop's own key)                         |

| key                         | written by (jobs/lua/*.lua, or the class)  | read by               |
| --------------------------- | ------------------------------------------ | --------------------- |
| `queue:<name>`              | enqueue, QueueClient.push, migrate_delayed,| fetch (take), pop,    |
|                             | requeue, reap, retry_failed                | dashboards            |
| `queue:marker:<name>`       | every script that adds a job to the queue, | fetch (BZPOPMIN, the  |
|                             | or to the delayed set (schedule, retry)    | blocking wait)        |
| `queue:delayed`             | schedule, retry                            | migrate_delayed, dash.|
| `queue:processing:<worker>` | take                                       | ack, retry, fail,     |
|                             |                                            | requeue, reap, dash.  |
| `queue:failed`              | fail, reap, migrate_delayed (bad data),    | FailedList, dashboards|
|                             | lesson_done                                |                       |
| `queue:job:<id>`            | enqueue, schedule, start, ack, retry, fail,| JobQueue.states (the  |
|                             | requeue, reap, retry_failed, lesson_done   | order page), invariant|
| `queue:workers`, `:worker:` | WorkerRegistry (register, heartbeat, reap) | the reaper, dashboards|
| `queue:reaper`              | WorkerRegistry.lock_reaper                 | WorkerRegistry        |
| `queue:stats:*`             | ack, fail                                  | dashboards, /metrics  |
| `queue:demo:payment`        | the shop's demo panel                      | the payment handler   |
| `queue:relay`               | the shop's RelayLock                       | the shop's RelayLock  |

A job is always in exactly one of the lists or the delayed set: the scripts move it
atomically, and its hash says what happened to it. Workers take from the queue lists into
their own processing list (jobs/fetch.py); the reaper gives the jobs of a dead worker (one
whose heartbeat in `queue:workers` is too old) back to their queues. (Not so the lesson's
own worker, jobs/lesson_worker.py, which BLPOPs: that is the bug it is there to show.)

`queue:` is the default prefix; a `JobQueue`, `QueueClient` or `Worker` built with another
prefix uses that instead, so tests and apps can share one Redis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Queue names that would collide with the keys above.
RESERVED_QUEUE_NAMES = frozenset(
    {"delayed", "failed", "processing", "job", "workers", "worker", "reaper", "stats", "marker",
     "relay"}
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
    """Builds every key name from one prefix."""

    prefix: str = "queue:"

    def queue(self, name: str) -> str:
        return self.prefix + check_queue_name(name)

    @property
    def delayed(self) -> str:
        return self.prefix + "delayed"

    @property
    def failed(self) -> str:
        return self.prefix + "failed"

    def marker(self, name: str) -> str:
        return f"{self.prefix}marker:{check_queue_name(name)}"

    def processing(self, worker_id: str) -> str:
        return f"{self.prefix}processing:{worker_id}"

    def job(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    @property
    def workers(self) -> str:
        return self.prefix + "workers"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}worker:{worker_id}"

    @property
    def reaper(self) -> str:
        return self.prefix + "reaper"

    def stats(self, outcome: str, minute: int) -> str:
        return f"{self.prefix}stats:{outcome}:{minute}"

    @property
    def handler_stats(self) -> str:
        return self.prefix + "stats:handlers"

    @property
    def demo_payment(self) -> str:
        return self.prefix + "demo:payment"

    @property
    def relay(self) -> str:
        return self.prefix + "relay"
