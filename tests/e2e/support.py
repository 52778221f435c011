"""Helpers for end-to-end tests: processes of the shop, an HTTP client, a wait with a deadline."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.handlers import Message

from devtools.embedded_redis import free_port
from tests import waiting

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], what: str, seconds: float = 30.0) -> T:
    """tests.waiting.wait_for, with more time by default: real processes start and stop."""
    return waiting.wait_for(condition, what, seconds, interval_seconds=0.05)


@dataclass
class Inbox:
    """Messages a real SMTP server received."""

    messages: list[Any] = field(default_factory=list)


class Collector(Message):  # type: ignore[misc]
    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    def handle_message(self, message: Any) -> None:
        self.inbox.messages.append(message)


@dataclass
class Http:
    """A tiny JSON client for the web app under test."""

    base_url: str

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method,
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"null")

    def get(self, path: str) -> Any:
        status, _, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body


@dataclass
class Shop:
    """Environment and processes of one shop under test: its own DB file and Redis prefix."""

    env: dict[str, str]
    tmp_path: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(args, cwd=ROOT, env=self.env, check=True, capture_output=True)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.tmp_path / f"{name}.log").open("wb") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def start_web(self) -> Http:
        port = free_port()
        flask = (sys.executable, "-m", "flask", "--app", "shop")
        self.start("web", *flask, "run", "--port", str(port))
        http = Http(f"http://127.0.0.1:{port}")
        wait_for(lambda: _answers(http), "the web app to answer")
        return http

    def start_worker(self, name: str = "worker", *args: str) -> subprocess.Popen[bytes]:
        return self.start(name, sys.executable, "worker.py", *args)


def _answers(http: Http) -> bool:
    try:
        http.get("/products")
        return True
    except OSError:
        return False


