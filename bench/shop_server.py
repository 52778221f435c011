"""The shop as deployed, for the load: gunicorn with deploy/gunicorn.conf.py, and job workers.

The benchmark overrides only the address (a free port on loopback), so it measures the
configuration supervisor runs (deploy/supervisor/worker.conf).
"""

from __future__ import annotations

import http.client
import runpy
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import ROOT, stop_worker, tail
from bench.redis_server import free_port

GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
SERVING_TIMEOUT_SECONDS = 30.0


class ShopDidNotStart(RuntimeError):
    """gunicorn did not answer within the deadline; the message holds its last log lines."""


def gunicorn_settings() -> dict[str, Any]:
    """The settings deploy/gunicorn.conf.py gives (gunicorn reads it as Python too)."""
    return {name: value for name, value in runpy.run_path(str(GUNICORN_CONF)).items()
            if not name.startswith("__")}


def describe_gunicorn(extra_args: Sequence[str] = ()) -> str:
    """The config in words, e.g. "2 gthread workers x 4 threads"."""
    settings = gunicorn_settings()
    kind = settings.get("worker_class", "sync")
    words = f"{settings.get('workers', 1)} {kind} workers"
    if kind == "gthread":
        words += f" x {settings.get('threads', 1)} threads"
    return words + (f", with {' '.join(extra_args)}" if extra_args else "")


@dataclass(frozen=True)
class Shop:
    """The running shop: gunicorn's port, and its master's pid (its workers are its children)."""

    port: int
    web_pid: int


@contextmanager
def running_shop(
    env: dict[str, str], job_workers: int, log_path: Path, extra_args: Sequence[str] = (),
) -> Iterator[Shop]:
    """gunicorn and job_workers workers serving the shop for the block."""
    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF),
                "--bind", f"127.0.0.1:{port}", *extra_args, "shop:create_app()"]
    commands = [gunicorn] + [[sys.executable, "worker.py"]] * job_workers
    with log_path.open("ab") as log:
        processes = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True) for c in commands]
    try:
        if not wait_until_serving(port):
            raise ShopDidNotStart(f"gunicorn did not answer:\n{tail(log_path)}")
        yield Shop(port, processes[0].pid)
    finally:
        for process in processes:
            stop_worker(process)


def wait_until_serving(port: int, timeout_seconds: float = SERVING_TIMEOUT_SECONDS) -> bool:
    """Poll GET /healthz until it answers 200, within the deadline."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return True
        except OSError:
            pass
        finally:
            connection.close()  # a 503 or a reset left it open: a ResourceWarning, an error here
        time.sleep(0.1)  # polling a condition with a deadline
    return False
