"""Follow the pages against a real shop: run each command they show, as written, and check
that the output they show is what the commands really print (numbers aside).

The shop is the reader's: the web app, a worker and the relay, each started by the command
the pages give (`flask --app shop run`, `python worker.py`, `flask --app shop relay`), on the
suite's Redis under a prefix of the test's own and a SQLite database of its own. Only the
port changes: the pages say 5000, the test takes a free one.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py

from tests.docs import live_commands as doc
from tests.docs.pages import ROOT, output_lines, pages, shape, workshop_pages
from tests.waiting import wait_for

START_SECONDS = 60.0  # a cold machine imports Flask and SQLAlchemy in each process
JOBS_SECONDS = 30.0
ANOTHER_ORDER = {"email": "grace@example.com", "items": [{"sku": "TEA-SENCHA", "quantity": 1}]}
OURS = ("REDIS_URL", "DATABASE_URL", "PORT", "SHOP_", "JOBS_", "FLASK_")


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Http:
    """Just enough of a JSON client to watch the shop between the pages' commands."""

    base_url: str

    def get(self, path: str) -> Any:
        request = urllib.request.Request(
            self.base_url + path, headers={"Accept": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str, body: Any) -> int:
        request = urllib.request.Request(
            self.base_url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status


@dataclass
class Reader:
    """A reader's terminal: the environment, the commands run so far, all they printed."""

    env: dict[str, str]
    tmp_path: Path
    base_url: str
    ran: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    started: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    public_ids: dict[str, str] = field(default_factory=dict)  # the pages' -> this shop's

    def learn_public_id(self, http: Http, order_id: int) -> str:
        """Map the pages' public id of an order to this shop's; return this shop's."""
        public_id: str = http.get(f"/orders/{order_id}")["public_id"]
        self.public_ids[doc.PUBLIC_IDS[order_id]] = public_id
        return public_id

    def as_the_pages_show(self, line: str) -> str:
        """A printed line with this shop's public ids made the pages'."""
        for shown, real in self.public_ids.items():
            line = line.replace(real, shown)
        return line

    def command(self, line: str) -> list[str]:
        assert line in doc.LIVE, line
        self.ran.append(line)
        command = line.replace(doc.BASE_URL, self.base_url)
        for shown, real in self.public_ids.items():
            command = command.replace(shown, real)
        return ["bash", "-c", "exec " + command]

    def run(self, line: str, **env: str) -> str:
        """Run a command to its end; fail unless it exits 0. Return what it printed."""
        done = subprocess.run(
            self.command(line), cwd=ROOT, env={**self.env, **env}, capture_output=True,
            text=True, timeout=120,
        )
        assert done.returncode == 0, f"{line} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        self.printed += done.stdout.splitlines()
        return done.stdout

    def start(self, line: str) -> subprocess.Popen[bytes]:
        """Start a command that runs until stopped, its output to a log file."""
        log = self.tmp_path / f"{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                self.command(line), cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        self.started.append((line, process))
        return process

    def exited(self, process: subprocess.Popen[bytes]) -> str | None:
        """Why to stop waiting on a started command: it has exited (its output), else None."""
        if process.poll() is None:
            return None
        return f"exited {process.returncode}:\n{self.log(process)}"

    def log(self, process: subprocess.Popen[bytes]) -> str:
        index = next(i for i, (_, p) in enumerate(self.started) if p is process)
        return (self.tmp_path / f"{index}.log").read_text(errors="replace")

    def stop(self, process: subprocess.Popen[bytes], signum: int = signal.SIGINT) -> None:
        """Stop a started command as Ctrl-C (or SIGTERM) would; fail unless it exits 0."""
        process.send_signal(signum)
        code = process.wait(timeout=START_SECONDS)
        assert code == 0, f"exit code {code}:\n{self.log(process)}"
        self.printed += self.log(process).splitlines()


@pytest.fixture
def reader(tmp_path: Path, redis_url: str, prefix: str, redis: redis_py.Redis) -> Iterator[Reader]:
    """A terminal with the virtualenv active, in a checkout with a shop of its own."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(OURS)}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
        REDIS_URL=redis_url,
        JOBS_PREFIX=prefix,
        SHOP_INSTANCE_PATH=str(tmp_path / "instance"),
        FLASK_RUN_PORT=str(port),
        SHOP_PAYMENT_LATENCY="0.05",
        SHOP_DEMO="1",  # as the deployment page has the reader set, to run it as make run does
    )
    terminal = Reader(env, tmp_path, f"http://127.0.0.1:{port}")
    try:
        yield terminal
    finally:
        for _, process in terminal.started:
            if process.poll() is None:
                process.kill()
            process.wait()


def order_jobs(http: Http, order_id: int) -> list[dict[str, Any]] | None:
    """The order's jobs once all three succeeded, else None."""
    jobs: list[dict[str, Any]] = http.get(f"/orders/{order_id}")["jobs"]
    return jobs if all(job["state"] == "succeeded" for job in jobs) else None


def answers(http: Http) -> bool:
    try:
        http.get("/products")
    except OSError:
        return False
    return True


def test_the_commands_of_the_pages_run_and_print_what_the_pages_show(reader: Reader) -> None:
    # Given the shop's processes, started as the deployment page starts them
    reader.run(doc.INIT_DB)
    web = reader.start(doc.WEB)
    http = Http(reader.base_url)
    wait_for(lambda: answers(http), "the web app to answer", START_SECONDS,
             give_up=lambda: reader.exited(web))
    relay = reader.start(doc.RELAY)
    worker = reader.start(doc.WORKER)

    # When the reader follows the demo page's curl commands
    products = json.loads(reader.run(doc.PRODUCTS))
    assert "TEA-SENCHA" in {product["sku"] for product in products}
    placed = json.loads(reader.run(doc.PLACE_ORDER))
    assert placed["order_id"] == 1, placed
    reader.learn_public_id(http, 1)

    # Then the worker runs the order's three jobs, and the order says so
    wait_for(lambda: order_jobs(http, 1), "order 1's jobs to succeed", JOBS_SECONDS,
             give_up=lambda: reader.exited(worker))
    shown = json.loads(reader.run(doc.SHOW_ORDER))
    assert {job["state"] for job in shown["jobs"]} == {"succeeded"}

    # And the operations page's endpoints answer
    assert "shop_jobs_processed_total" in reader.run(doc.METRICS)
    assert json.loads(reader.run(doc.HEALTHZ)) == {
        "database": "ok", "redis": "ok", "redis_risks": []
    }
    reader.stop(worker)

    # When order 2's payment is declined until it fails for good (the operations page)
    declining = {"SHOP_PAYMENT_FAILURE_RATE": "1", "JOBS_MAX_ATTEMPTS": "1"}
    assert http.post("/orders", ANOTHER_ORDER) == 201
    second = reader.learn_public_id(http, 2)
    reader.run(doc.WORKER_BURST, **declining)

    # Then the jobs commands list it, show it, retry it, delete it and purge the rest
    assert f"order-{second}-process_payment" in reader.run(doc.FAILED)
    assert "attempt 1: failed" in reader.run(doc.SHOW_FAILED)
    assert "Queued 1 job again" in reader.run(doc.RETRY)
    reader.run(doc.WORKER_BURST, **declining)
    assert "Queued 1 job again" in reader.run(doc.RETRY_ALL)
    reader.run(doc.WORKER_BURST, **declining)
    assert f"Deleted failed job order-{second}-process_payment" in reader.run(doc.DELETE)
    assert http.post("/orders", ANOTHER_ORDER) == 201
    reader.run(doc.WORKER_BURST, **declining)
    assert "Purged 1 job" in reader.run(doc.PURGE)

    # And a worker of one queue starts on it, and stops on SIGTERM with exit code 0
    emails = reader.start(doc.WORKER_EMAILS)
    wait_for(lambda: "Worker started on queue: emails" in reader.log(emails),
             "the emails worker to start", START_SECONDS,
             give_up=lambda: reader.exited(emails))
    reader.stop(emails, signal.SIGTERM)
    reader.stop(relay)

    # And the testing page's one-file test run passes
    reader.run(doc.PYTEST_ONE_FILE)

    # Then every command was run, and every output the pages show was printed
    assert sorted(set(reader.ran)) == sorted(doc.LIVE)
    printed = {shape(reader.as_the_pages_show(line)) for line in reader.printed}
    others = [page for page in pages() if page not in workshop_pages()]
    not_printed = {line: pages for line, pages in output_lines(others).items()
                   if shape(line) not in printed}
    assert not not_printed, (
        f"output the pages show that no command printed: {not_printed}\n"
        "printed:\n" + "\n".join(reader.printed)
    )
