"""The whole Redis key layout of the queue, in one place.

| key                         | type | holds                                       | written by    |
| --------------------------- | ---- | ------------------------------------------- | ------------- |
| `queue:<name>`              | list | job JSON waiting to run, oldest first; now  | push, migrate |
|                             |      | and then a `wake-up` marker (see push.lua)  |               |
| `queue:delayed`             | zset | job JSON scored by due time (unix seconds)  | push, retry   |
| `queue:processing:<worker>` | list | job JSON a worker took and has not finished | pop           |
| `queue:failed`              | list | job JSON + `error` + `failed_at`            | fail          |
| `queue:job:<id>`            | hash | state, attempts, error, timestamps, and one | every script  |
|                             |      | `run:<n>` record (JSON) per attempt ended   |               |
| `queue:workers`             | zset | worker ids scored by last heartbeat (unix s)| worker, reap  |
| `queue:worker:<id>`         | hash | a worker's queues, pid, host, started_at    | worker, reap  |
| `queue:reaper`              | str  | the id of the worker reaping now (a lock)   | reaper        |
| `queue:stats:processed:<m>` | str  | jobs succeeded in unix minute m (2 h)       | ack           |
| `queue:stats:failed:<m>`    | str  | jobs failed for good in minute m (2 h)      | fail          |
| `queue:stats:handlers`      | hash | `<handler>:processed`, `:failed`, `:seconds`| ack, fail     |
|                             |      | and `:le:<bound>` duration histogram counts |               |

Workers read the queue lists and the delayed set; ack, retry and fail take a job off its
worker's processing list; the reaper gives the jobs in a dead worker's list (one whose
heartbeat in `queue:workers` is too old) back to their queues; the order page reads
`queue:job:<id>`; people read, retry and purge the failed list; a dashboard only reads,
through QueueClient.snapshot and check_invariant (jobs/snapshot.py, jobs/invariant.py).

`queue:` is the default prefix; a `JobQueue`, `QueueClient` or `Worker` built with another
prefix uses that instead, so tests and apps can share one Redis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Queue names that would collide with the keys above.
RESERVED_QUEUE_NAMES = frozenset(
    {"delayed", "failed", "processing", "job", "workers", "worker", "reaper", "stats"}
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
