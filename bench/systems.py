"""What the benchmark needs from each system it measures, and where to find each one."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

# Every system the benchmark knows: name -> "module:class". Peers run from their own
# virtualenv (bench/peers/venv.py); "queue" and "naive" from the project's.
SYSTEMS = {
    "queue": "bench.ours:QueueSystem",
    "naive": "bench.naive:NaiveSystem",
    "rq": "bench.peers.rq_peer:RQSystem",
    "celery": "bench.peers.celery_peer:CelerySystem",
    "dramatiq": "bench.peers.dramatiq_peer:DramatiqSystem",
    "arq": "bench.peers.arq_peer:ArqSystem",
    "saq": "bench.peers.saq_peer:SaqSystem",
    "huey": "bench.peers.huey_peer:HueySystem",
}
PROJECT_SYSTEMS = ("queue", "naive")
PEERS = tuple(name for name in SYSTEMS if name not in PROJECT_SYSTEMS)


@dataclass(frozen=True)
class Settings:
    """How much work one round does, and where its files go."""

    redis_url: str
    workdir: Path
    jobs: int = 10_000
    samples: int = 1000
    delayed: int = 500
    max_delay_seconds: float = 2.0
    waiting: int = 10_000
    settle_seconds: float = 2.0
    scale_jobs: int = 20_000


class System:
    """One queue under test: how to enqueue the no-op job and how to start a worker.

    A subclass sets name, label and delivery, and implements enqueue and worker_command.
    """

    name = ""
    label = ""
    delivery = ""  # "at-most-once" or "at-least-once"
    # True if the worker writes its result when it exits (a burst run); False if it
    # writes it after the last expected job and is then stopped.
    result_at_exit = False

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url

    def enqueue(self, kind: str, stamp: float) -> None:
        """Queue one no-op job, `(kind, stamp)`, with one call of the system's API."""
        raise NotImplementedError

    def enqueue_each(self, kind: str, count: int) -> None:
        """Queue count jobs, one API call each."""
        for _ in range(count):
            self.enqueue(kind, 0.0)

    def worker_command(self, burst: bool) -> list[str]:
        """The command line of one worker process (burst: may exit once the queue is empty)."""
        raise NotImplementedError

    def versions(self) -> dict[str, str]:
        """The versions that matter for this system's numbers."""
        return {"python": sys.version.split()[0], "redis-py": redis.__version__}

    def extras(self, client: redis.Redis, settings: Settings) -> dict[str, Any]:
        """Measurements only this system has (the project's queue: delayed jobs, scaling)."""
        return {}

    def close(self) -> None:
        """Release connections."""


def load_system(name: str, redis_url: str) -> System:
    """Build the system registered under name."""
    module_name, _, class_name = SYSTEMS[name].partition(":")
    system_class = getattr(importlib.import_module(module_name), class_name)
    system: System = system_class(redis_url)
    return system


def python_command(module: str, *args: str) -> list[str]:
    """Run a module with this interpreter (the system's own virtualenv when it is a peer)."""
    return [sys.executable, "-m", module, *args]
