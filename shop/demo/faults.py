"""The demo's fault panel: kill a worker mid-job, push a malformed message, drop connections.

Each does for real what happens in production, on this machine only: SIGKILL (a crash,
the OOM killer), a message no worker can parse (a bug in another producer), and every
connection of this shop to Redis closed by Redis (a network blip, a failover). The last
two reach into Redis on purpose: they come from outside the queue, as the real ones do.

The kill takes a pid from the worker registry, which is data in Redis: whoever can write
Redis could name any process. So the pid alone is never trusted. The web app kills only a
process the kernel shows to be one of this shop's workers: a child of the process that
started this web app (under `make run`, run.py, which starts the web app and the workers
side by side) that runs worker.py. Redis data cannot make a process that; a secret the
worker registered could be copied from Redis by whoever forges the entry.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from redis.cluster import ClusterNode, RedisCluster

from jobs import JobQueue, Keys, RedisClient


class FaultRefused(RuntimeError):
    """The fault could not be caused; the message says why."""


@dataclass(frozen=True)
class Victim:
    """A worker that was killed, and the job it was running."""

    worker_id: str
    pid: int
    job_id: str | None


def kill_worker_mid_job(
    queue: JobQueue, fresh_seconds: float, launcher_pid: int | None = None
) -> Victim:
    """SIGKILL a worker holding a job that launcher_pid started (default: the process that
    started this one), or raise FaultRefused."""
    launcher = os.getppid() if launcher_pid is None else launcher_pid
    for worker in queue.workers():
        pid = local_pid(worker.id)
        # A fresh heartbeat: the pid is the worker's own, not one reused since it died.
        fresh = worker.heartbeat_age_seconds < fresh_seconds
        if (worker.current_job is not None and pid is not None and fresh
                and is_own_worker(pid, launcher)):
            os.kill(pid, signal.SIGKILL)
            return Victim(worker.id, pid, worker.current_job.id)
    raise FaultRefused(
        "No worker started beside this web app (by make run) is running a job right now: "
        "place an order, then kill one while the payment takes its time."
    )


def local_pid(worker_id: str) -> int | None:
    """Return the pid in a worker id "<host>:<pid>:<hex>" if it names a process of this host."""
    parts = worker_id.split(":")
    if len(parts) < 3 or not parts[-2].isdigit():
        return None
    host, pid = ":".join(parts[:-2]), int(parts[-2])
    if host != socket.gethostname() or pid == os.getpid():
        return None
    return pid


def is_own_worker(pid: int, launcher_pid: int) -> bool:
    """True if the kernel shows pid to be a child of launcher_pid running worker.py."""
    if launcher_pid <= 1:
        return False  # an orphaned web app: every orphan is a child of init
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:  # gone, or no /proc (not Linux): nothing proves it is ours
        return False
    parent = re.search(r"^PPid:\s+(\d+)$", status, re.MULTILINE)
    runs_worker = len(argv) > 1 and Path(os.fsdecode(argv[1])).name == "worker.py"
    return parent is not None and int(parent.group(1)) == launcher_pid and runs_worker


def push_malformed(redis: RedisClient, keys: Keys, queue: str) -> str:
    """Push data that is not a job onto queue; return what was pushed."""
    message = f"not a job: pushed by the fault panel at {time.strftime('%H:%M:%S')} {{"
    redis.rpush(keys.queue(queue), message)
    return message


def drop_connections(redis: RedisClient, names: list[str]) -> int:
    """Have Redis close every connection named in names but the caller's; return how many.

    On a cluster, each node closes its own.
    """
    if isinstance(redis, RedisCluster):
        nodes: list[ClusterNode] = redis.get_nodes()  # type: ignore[no-untyped-call]  # untyped
        return sum(drop_connections(redis.get_redis_connection(node), names) for node in nodes)
    victims = [client["id"] for client in redis.client_list() if client.get("name") in names]
    with redis.pipeline(transaction=False) as pipe:
        for client_id in victims:
            pipe.client_kill_filter(_id=client_id)  # SKIPME yes: never the caller's own
        # A connection may have closed on its own since CLIENT LIST: not an error here.
        replies = pipe.execute(raise_on_error=False)
    return sum(reply for reply in replies if isinstance(reply, int))
