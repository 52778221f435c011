"""Helpers for the fault tests: recording workers as real processes, a Redis of a test's own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from devtools.embedded_redis import EmbeddedRedis, free_port, start_embedded_redis
from jobs import Job, JobQueue, JobState, MalformedJob, RedisClient
from tests.e2e.support import ROOT, wait_for

QUEUE = "work"


class Event(NamedTuple):
    """One line a recording worker wrote: what happened to job n, in which process, when."""

    event: str
    n: int
    pid: int
    at: float


@dataclass
class OwnRedis:
    """A redis-server of the test's own, with AOF on, that the test may stop and start again."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    server: EmbeddedRedis | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it on its port and data dir: what it wrote to its AOF is back."""
        self.server = start_embedded_redis(self.data_dir, port=self.port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@dataclass
class Fleet:
    """Recording workers on one Redis and key prefix, the jobs given them, what they recorded."""

    redis: RedisClient
    redis_url: str
    prefix: str
    tmp_path: Path
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    cluster: bool = False  # redis_url names a node of a Redis Cluster

    def __post_init__(self) -> None:
        self.queue = JobQueue(self.redis, self.prefix)
        self.keys = self.queue.keys
        self.events_path = self.tmp_path / "events.log"
        self.events_path.touch()

    def start(
        self, name: str, *options: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a worker with id `name` on the queue "work"; its output goes to <name>.log.

        env: more environment variables for it (a faked clock, say)."""
        command = [
            sys.executable, "-m", "tests.e2e.recording_worker", "--redis-url", self.redis_url,
            "--prefix", self.prefix, "--events", str(self.events_path), "--worker-id", name,
            *(["--cluster"] if self.cluster else []), *options,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        with (self.tmp_path / f"{name}.log").open("ab") as log:  # the child keeps its own copy
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
        self.workers[name] = process
        return process

    def start_ready(
        self, name: str, *options: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start a worker and wait until it has registered in `queue:workers`."""
        process = self.start(name, *options, env=env)
        wait_for(lambda: self.redis.zscore(self.keys.workers, name) is not None,
                 f"worker {name} to register")
        return process

    def kill(self, name: str) -> None:
        """kill -9 a worker and reap the process."""
        process = self.workers[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def kill_all(self) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                process.kill()
            process.wait()

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def name_of(self, pid: int) -> str:
        return next(name for name, process in self.workers.items() if process.pid == pid)

    def dispatch(self, handler: str, n: int, **payload: Any) -> str:
        """Queue a job on "work" whose payload carries n, the number its events are recorded by."""
        return self.queue.dispatch(QUEUE, handler, {"n": n, **payload})

    def events(self, kind: str | None = None, n: int | None = None) -> list[Event]:
        """What the workers recorded so far, oldest first; only of one kind or job if asked."""
        text = self.events_path.read_text()
        # A read can catch a worker's write half done: a last line without its newline.
        lines = text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]
        events = [Event(e, int(job), int(pid), float(at))
                  for e, job, pid, at in (line.split() for line in lines)]
        return [e for e in events if kind in (None, e.event) and n in (None, e.n)]

    def count(self, kind: str) -> Counter[int]:
        """How many times each job n had an event of this kind."""
        return Counter(event.n for event in self.events(kind))

    def states(self, ids: list[str]) -> list[JobState]:
        states = self.queue.states([(QUEUE, job_id) for job_id in ids])
        assert None not in states, "a job's state hash is missing"
        return [state for state in states if state is not None]

    def finished(self, ids: list[str]) -> list[JobState] | None:
        """The jobs' states once every one of them is final, else None."""
        states = self.states(ids)
        return states if all(state.is_final for state in states) else None

    def held(self) -> dict[str, list[str]]:
        """The ids of the jobs in every non-empty processing list, by worker."""
        pattern = self.keys.processing(QUEUE, "*")
        return {
            key.removeprefix(self.keys.processing(QUEUE, "")): [
                _id_of(raw) for raw in self.redis.lrange(key, 0, -1)
            ]
            for key in self.redis.scan_iter(match=pattern)
        }

    def waiting(self) -> list[str]:
        """The ids of the jobs on the queue "work", front first."""
        return [_id_of(raw) for raw in self.redis.lrange(self.keys.queue(QUEUE), 0, -1)]

    def registered(self) -> set[str]:
        return set(self.redis.zrange(self.keys.workers, 0, -1))


def _id_of(raw: str) -> str:
    """A job's id, or the data itself when it is not a job."""
    try:
        return Job.from_json(raw).id
    except MalformedJob:
        return raw
