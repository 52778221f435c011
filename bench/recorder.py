"""Recorder: what the no-op job of every system does, inside the worker process.

Every system under test runs the same job, `(kind, stamp)`:
- kind "drain": nothing but counting; the recorder keeps the clock of the drain, from
  the first job's start to the last job's end, read inside the worker process so that
  start-up time counts for no system;
- kind "latency": pushes `now - stamp` (stamp: when the job was enqueued, or fell due)
  onto LATENCY_KEY, where the benchmark waits for it.

A worker process learns where to report from its environment (see from_env).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import redis

from bench import roundtrips

LATENCY_KEY = "bench:latency"

# What the benchmark sets in a worker's environment.
RESULT_ENV = "BENCH_RESULT"  # file the worker's result (JSON) goes to
EXPECT_ENV = "BENCH_EXPECT"  # write the result after this many drain jobs; 0: at finish()
REDIS_ENV = "BENCH_REDIS_URL"  # the Redis the latencies go to


class Recorder:
    """Counts drain jobs, reports latencies, and writes the worker's result as JSON."""

    def __init__(self, result_path: Path, expect: int, redis_url: str) -> None:
        self.result_path = result_path
        self.expect = expect
        self.redis_url = redis_url
        self.jobs = 0
        self.first_started = 0.0
        self.last_finished = 0.0
        self._lock = threading.Lock()
        self._redis: redis.Redis | None = None

    @classmethod
    def from_env(cls) -> Recorder | None:
        """The recorder of a worker process started by the benchmark (None elsewhere).

        Also starts counting round trips, so a module that calls this at import counts
        every round trip its worker makes.
        """
        path = os.environ.get(RESULT_ENV)
        if not path:
            return None
        roundtrips.install()
        return cls(Path(path), int(os.environ.get(EXPECT_ENV, "0")), os.environ[REDIS_ENV])

    def job(self, kind: str, stamp: float) -> None:
        """Run the no-op job."""
        now = time.time()
        if kind == "latency":
            self._client().rpush(LATENCY_KEY, repr(now - stamp))
            return
        with self._lock:
            self.jobs += 1
            if self.jobs == 1:
                self.first_started = now
            self.last_finished = time.time()
            done = self.jobs == self.expect
        if done:
            self.finish()

    def finish(self, **extra: Any) -> None:
        """Write the result file: the drain clock, round trips, RSS, and any extra fields."""
        result = {
            "jobs": self.jobs,
            "first_started": self.first_started,
            "last_finished": self.last_finished,
            "round_trips": roundtrips.count(),
            "rss_mb": rss_mb(os.getpid()),
            "pid": os.getpid(),
            **extra,
        }
        partial = self.result_path.with_suffix(".partial")
        partial.write_text(json.dumps(result), encoding="utf-8")
        partial.replace(self.result_path)  # readers never see half a file

    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(self.redis_url)
        return self._redis


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for process {pid}")
