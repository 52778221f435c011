"""The demo's fault panel: kill a worker mid-job, push a malformed message, drop connections.

Each does for real what happens in production, on this machine only: SIGKILL (a crash,
the OOM killer), a message no worker can parse (a bug in another producer), and every
connection of this shop to Redis closed by Redis (a network blip, a failover). The last
two reach into Redis on purpose: they come from outside the queue, as the real ones do.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from redis import Redis

from jobs import JobQueue, Keys


class FaultRefused(RuntimeError):
    """The fault could not be caused; the message says why."""


@dataclass(frozen=True)
class Victim:
    """A worker that was killed, and the job it was running."""

    worker_id: str
    pid: int
    job_id: str | None


def kill_worker_mid_job(queue: JobQueue, fresh_seconds: float) -> Victim:
    """SIGKILL a live worker on this host that holds a job, or raise FaultRefused."""
    for worker in queue.workers():
        pid = local_pid(worker.id)
        # A fresh heartbeat: the pid is the worker's own, not one reused since it died.
        fresh = worker.heartbeat_age_seconds < fresh_seconds
        if worker.current_job is not None and pid is not None and fresh:
            os.kill(pid, signal.SIGKILL)
            return Victim(worker.id, pid, worker.current_job.id)
    raise FaultRefused(
        "No worker on this machine is running a job right now: place an order, then kill "
        "one while the payment takes its time."
    )


def local_pid(worker_id: str) -> int | None:
    """Return the pid in a worker id "<host>:<pid>:<hex>" if it is a worker of this host."""
    parts = worker_id.split(":")
    if len(parts) < 3 or not parts[-2].isdigit():
        return None
    host, pid = ":".join(parts[:-2]), int(parts[-2])
    if host != socket.gethostname() or pid == os.getpid():
        return None
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists() and b"worker" not in cmdline.read_bytes():
        return None  # where /proc tells, be sure it is a worker process
    return pid


def push_malformed(redis: Redis, keys: Keys, queue: str) -> str:
    """Push data that is not a job onto queue; return what was pushed."""
    message = f"not a job: pushed by the fault panel at {time.strftime('%H:%M:%S')} {{"
    redis.rpush(keys.queue(queue), message)
    return message


def drop_connections(redis: Redis, names: list[str]) -> int:
    """Have Redis close every connection named in names but the caller's; return how many."""
    victims = [client["id"] for client in redis.client_list() if client.get("name") in names]
    with redis.pipeline(transaction=False) as pipe:
        for client_id in victims:
            pipe.client_kill_filter(_id=client_id)  # SKIPME yes: never the caller's own
        # A connection may have closed on its own since CLIENT LIST: not an error here.
        replies = pipe.execute(raise_on_error=False)
    return sum(reply for reply in replies if isinstance(reply, int))
