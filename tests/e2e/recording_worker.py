"""A worker for the fault tests: `jobs.Worker` with test handlers that record what they do.

Run from the repository root:

    python -m tests.e2e.recording_worker --redis-url URL --prefix P --events FILE [--queue Q]

Each handler appends a line `<event> <n> <pid> <unix time>` to the events file, where n
comes from the job's payload: "start" when it begins, "end" when it returns. The record
lives outside Redis, so it survives a Redis restart and a kill -9, and tests check Redis
against it. Time limits are small options so the tests are quick.
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import jobs

PR_SET_PDEATHSIG = 1


class FlakyError(Exception):
    """The random failure of a `flaky` job."""


class PermanentError(Exception):
    """A failure retrying cannot help: the `give_up` handler lists it in `give_up_on`."""


class Recorder:
    """Appends one line per event to a file several processes share."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def __call__(self, event: str, payload: dict[str, Any]) -> None:
        # One write of one short line with O_APPEND: lines of several workers never mix.
        os.write(self.fd, f"{event} {payload['n']} {os.getpid()} {time.time():.6f}\n".encode())


@dataclass
class Noop:
    record: Recorder

    def handle(self, payload: dict[str, Any]) -> None:
        self.record("start", payload)
        self.record("end", payload)


@dataclass
class Slow:
    """Sleeps `seconds` from the payload."""

    record: Recorder

    def handle(self, payload: dict[str, Any]) -> None:
        self.record("start", payload)
        time.sleep(payload["seconds"])
        self.record("end", payload)


@dataclass
class Crash:
    """Kills its own worker with SIGKILL the first time it runs a job; succeeds after."""

    record: Recorder
    marks: Path

    def handle(self, payload: dict[str, Any]) -> None:
        self.record("start", payload)
        try:
            os.close(os.open(self.marks / f"crashed-{payload['n']}", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            self.record("end", payload)
            return
        self.record("crash", payload)
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Flaky:
    """Fails with probability `p` from the payload."""

    record: Recorder
    random: random.Random

    def handle(self, payload: dict[str, Any]) -> None:
        self.record("start", payload)
        if self.random.random() < payload["p"]:
            raise FlakyError(f"job {payload['n']} failed at random")
        self.record("end", payload)


@dataclass
class GiveUp:
    """Always raises an error it marks as not worth retrying."""

    record: Recorder
    give_up_on: ClassVar[tuple[type[Exception], ...]] = (PermanentError,)

    def handle(self, payload: dict[str, Any]) -> None:
        self.record("start", payload)
        raise PermanentError(f"job {payload['n']} can never succeed")


@dataclass
class Forever:
    """Never returns: its `timeout_seconds` must stop it."""

    record: Recorder
    timeout_seconds: float

    def handle(self, payload: dict[str, Any]) -> None:
        self.record("start", payload)
        while True:
            time.sleep(0.1)


def build_handlers(args: argparse.Namespace) -> dict[str, jobs.JobHandler]:
    record = Recorder(args.events)
    return {
        "noop": Noop(record),
        "slow": Slow(record),
        "crash": Crash(record, args.events.parent),
        "flaky": Flaky(record, random.Random(args.seed)),
        "give_up": GiveUp(record),
        "forever": Forever(record, args.forever_timeout),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A recording worker for the fault tests.")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1"))
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--cluster", action="store_true", help="--redis-url names a node of a "
                        "Redis Cluster")
    parser.add_argument("--events", type=Path, required=True, help="the file events go to")
    parser.add_argument("--queue", action="append", help="a queue to serve (default: work)")
    parser.add_argument("--worker-id", help="the worker's id (default: host:pid:random)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the flaky handler")
    parser.add_argument("--max-attempts", type=int, default=3)
    seconds = {"retry-base": 0.05, "recovery-timeout": 2.0, "shutdown-timeout": 1.0,
               "forever-timeout": 0.5}
    for name, default in seconds.items():
        parser.add_argument(f"--{name}", type=float, default=default, metavar="SECONDS")
    parser.add_argument("--job-timeout", type=float, metavar="SECONDS")
    return parser.parse_args(argv)


def die_with_parent() -> None:
    """Have Linux kill this worker if the test run dies, so no worker outlives it."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    die_with_parent()
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout,
        format="%(asctime)s %(levelname)s [worker %(process)d] %(message)s",
    )
    worker = jobs.Worker(
        (jobs.connect_cluster if args.cluster else jobs.connect)(args.redis_url),
        build_handlers(args),
        max_attempts=args.max_attempts, retry_base=args.retry_base, prefix=args.prefix,
        job_timeout=args.job_timeout, shutdown_timeout=args.shutdown_timeout,
        recovery_timeout=args.recovery_timeout, worker_id=args.worker_id,
    )
    worker.run(args.queue or ["work"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
