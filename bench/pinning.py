"""Pin a single connection's measurement: redis-server on one CPU, the client on another.

One client and one server take turns, so a job's time is mostly the round trip between
them, and that depends on where the scheduler puts the two processes: on this project's
2-core machine, unpinned, a round trip cost about 29 µs or 70 to 90 µs from run to run.
Pinned apart, each has a CPU of its own and the figures hold still. Linux only (elsewhere
nothing is pinned, and the result says so); standard library and redis-py only, as peers'
virtualenvs import it too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import redis


@contextmanager
def pinned_apart(client: redis.Redis) -> Iterator[str | None]:
    """For the block, the server client talks to on one CPU and this process on another.

    Yields what was pinned where, in words, or None when it could not be done.
    """
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        yield None
        return
    server_cpu, client_cpu = sorted(os.sched_getaffinity(0))[:2]
    try:
        server_threads = threads(int(client.info("server")["process_id"]))
    except OSError:  # a server on another host, out of reach
        yield None
        return
    before = {tid: os.sched_getaffinity(tid) for tid in [0, *server_threads]}
    try:
        for tid in server_threads:
            os.sched_setaffinity(tid, {server_cpu})
        os.sched_setaffinity(0, {client_cpu})
        yield f"redis-server on CPU {server_cpu}, the client on CPU {client_cpu}"
    finally:
        for tid, cpus in before.items():
            with suppress(ProcessLookupError):
                os.sched_setaffinity(tid, cpus)


def threads(pid: int) -> list[int]:
    """The thread ids of process pid (redis-server runs a few besides its main one)."""
    return [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]
