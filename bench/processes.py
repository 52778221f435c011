"""Start and stop worker processes, and wait for the files they write."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from bench.recorder import EXPECT_ENV, REDIS_ENV, RESULT_ENV

# The project root: every process runs from it, so `bench` is importable in any venv.
ROOT = Path(__file__).resolve().parent.parent


class WorkerFailed(RuntimeError):
    """A worker exited, or said nothing, before it wrote its result."""


def start_worker(
    command: Sequence[str], log_path: Path, redis_url: str, result_path: Path, expect: int = 0,
) -> subprocess.Popen[bytes]:
    """Start one worker process in a session of its own, its output going to log_path.

    Its Recorder writes to result_path after expect drain jobs (0: when the worker exits).
    """
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
        REDIS_ENV: redis_url, RESULT_ENV: str(result_path), EXPECT_ENV: str(expect),
    }
    with log_path.open("ab") as log:
        return subprocess.Popen(
            list(command), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_worker(process: subprocess.Popen[bytes], timeout_seconds: float = 15.0) -> None:
    """SIGTERM the worker's process group (some systems fork), then SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            continue
        break
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # children a forking system left behind


@contextmanager
def serving_worker(
    command: Sequence[str], workdir: Path, name: str, redis_url: str,
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker waiting on its queue for the duration of the block; output in name.log."""
    process = start_worker(command, workdir / f"{name}.log", redis_url, workdir / f"{name}.json")
    try:
        yield process
    finally:
        stop_worker(process)


def wait_for_result(
    path: Path, process: subprocess.Popen[bytes], log_path: Path, timeout_seconds: float,
) -> dict[str, Any]:
    """Wait until the worker has written its result file; return the result."""
    deadline = time.monotonic() + timeout_seconds
    while not path.exists():
        if process.poll() is not None and not path.exists():
            raise WorkerFailed(f"worker exited ({process.returncode}):\n{tail(log_path)}")
        if time.monotonic() > deadline:
            raise WorkerFailed(f"no result after {timeout_seconds:g} s:\n{tail(log_path)}")
        time.sleep(0.005)  # polling a condition with a deadline
    result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return result


def tail(path: Path, lines: int = 20) -> str:
    """The last lines a worker wrote."""
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
