"""Follow the workshop (docs/workshop/) from a fresh copy of the repository, as a learner does:
run each step's commands as written, run its Python sessions (```pycon) with doctest, do in
code what it asks of the browser (the demo panel's forms and buttons), and check that every
line of output the steps show is what the commands print (numbers aside).

The shop is `make run WORKERS=0`'s: `python run.py` with WORKERS=0 and its own embedded
Redis, in the copy; each terminal is set up as the workshop says, with
`export REDIS_URL=$(cat instance/redis/url)`. Only the port changes: the pages say 5000.
"""

from __future__ import annotations

import doctest
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py

from shop.demo.settings import write_payment_settings
from shop.handlers.gateway import PaymentSettings
from tests.docs import live_commands as live
from tests.docs import workshop_commands as doc
from tests.docs.pages import ROOT, output_lines, shape, split, workshop_pages
from tests.docs.test_live_commands import Http, free_port
from tests.waiting import wait_for
from tests.workshop.support import copy_repository

START_SECONDS = 60.0
JOBS_SECONDS = 60.0
OURS = ("REDIS_URL", "DATABASE_URL", "PORT", "SHOP_", "JOBS_", "FLASK_", "WORKERS")
SLOW_PAYMENT = PaymentSettings(latency_seconds=3.0, failure_rate=0.0)


@dataclass
class Terminal:
    """A learner's terminal in the copy: its environment, what it ran, and all it printed."""

    env: dict[str, str]
    clone: Path
    base_url: str
    ran: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    started: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def command(self, line: str) -> list[str]:
        assert line in (*doc.WORKSHOP, *live.LIVE), line
        self.ran.append(line)
        return ["bash", "-c", line.replace(live.BASE_URL, self.base_url)]

    def export(self, line: str) -> None:
        """Run an `export` line, keeping what it sets for the commands after it."""
        dump = self.clone / "env.dump"
        script = f'{self.command(line)[2]}\nenv -0 > "{dump}"'
        subprocess.run(["bash", "-c", script], cwd=self.clone, env=self.env, check=True)
        self.env = dict(item.split("=", 1) for item in dump.read_text().split("\0") if item)

    def run(self, line: str) -> str:
        done = subprocess.run(self.command(line), cwd=self.clone, env=self.env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{line} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        self.printed += done.stdout.splitlines()
        return done.stdout

    def start(self, name: str, line: str) -> subprocess.Popen[bytes]:
        with (self.clone / f"{name}.log").open("wb") as out:
            process = subprocess.Popen(self.command(line), cwd=self.clone, env=self.env,
                                       stdout=out, stderr=subprocess.STDOUT)
        self.started[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.clone / f"{name}.log").read_text(errors="replace")

    def stop(self, name: str, signum: int = signal.SIGINT) -> None:
        """Stop a started command as Ctrl-C (or kill) would; keep what it printed."""
        process = self.started.pop(name)
        process.send_signal(signum)
        code = process.wait(timeout=START_SECONDS)
        assert signum == signal.SIGKILL or code == 0, f"{name}: exit {code}\n{self.log(name)}"
        self.printed += self.log(name).splitlines()


def run_sessions(page: str, env: dict[str, str]) -> None:
    """Run the page's ```pycon blocks with doctest, in that environment; fail on a mismatch."""
    blocks = [b for b in split(ROOT / "docs" / "workshop" / page)[1] if b.info == "pycon"]
    assert blocks, page
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        for number, block in enumerate(blocks):
            test = parser.get_doctest("\n".join(block.lines), {}, f"{page}[{number}]", page, 0)
            runner.run(test)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert runner.failures == 0, f"{page}: {runner.failures} pycon examples failed (above)"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    """A terminal in a fresh copy of the repository, the virtualenv's python first on PATH."""
    if not shutil.which("redis-cli"):
        message = "redis-cli not found: apt-get install redis-tools (it comes with redis-server)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    clone = copy_repository(tmp_path / "clone")
    env = {name: value for name, value in os.environ.items() if not name.startswith(OURS)}
    env |= {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1"}
    term = Terminal(env, clone, "")
    try:
        yield term
    finally:
        for process in term.started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # run.py stops its children and its Redis
                try:
                    process.wait(timeout=START_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def jobs_of(http: Http, order_id: int) -> dict[str, dict[str, Any]]:
    return {job["type"]: job for job in http.get(f"/orders/{order_id}")["jobs"]}


def states_of(http: Http, order_id: int) -> set[str]:
    return {job["state"] for job in jobs_of(http, order_id).values()}


def test_the_workshop_steps_run_and_print_what_they_show(terminal: Terminal) -> None:
    # Given `make run WORKERS=0` in a fresh copy, on a free port, with its own Redis
    port = free_port()
    terminal.base_url = f"http://127.0.0.1:{port}"
    terminal.env |= {"WORKERS": "0", "PORT": str(port)}
    terminal.ran.append("make run WORKERS=0")
    shop = _start_run(terminal)
    url_file = terminal.clone / "instance" / "redis" / "url"
    http = Http(terminal.base_url)
    wait_for(lambda: url_file.exists() and _answers(http), "make run to serve", START_SECONDS,
             give_up=lambda: None if shop.poll() is None else terminal.log("run"))
    del terminal.env["WORKERS"], terminal.env["PORT"]
    # And a second terminal, set up as "Between steps" says
    terminal.export(doc.EXPORT_REDIS_URL)
    terminal.export(doc.EXPORT_DEMO_SETTINGS)
    redis = redis_py.Redis.from_url(terminal.env["REDIS_URL"], decode_responses=True)

    # Step 2: a queue by hand, with redis-cli and then with QueueClient
    for line in (doc.RPUSH, doc.LLEN, doc.BLPOP):
        terminal.run(line)
    run_sessions("02-a-queue-by-hand.md", terminal.env)

    # Step 3: the lesson's worker runs an order placed with curl
    terminal.start("lesson", doc.LESSON_WORKER)
    assert json.loads(terminal.run(live.PLACE_ORDER))["order_id"] == 1
    wait_for(lambda: states_of(http, 1) == {"succeeded"}, "order 1's jobs", JOBS_SECONDS)

    # Step 4: killed mid-job (the panel's button: kill -9), the lesson's worker loses the job
    write_payment_settings(redis, "queue:", SLOW_PAYMENT)
    assert http.post("/orders", {"email": "b@example.com",
                                 "items": [{"sku": "TEA-SENCHA", "quantity": 1}]}) == 201
    wait_for(lambda: jobs_of(http, 2)["process_payment"]["state"] == "running",
             "order 2's payment to run", JOBS_SECONDS)
    terminal.stop("lesson", signal.SIGKILL)
    terminal.start("worker", live.WORKER)
    wait_for(lambda: states_of(http, 2) == {"running", "succeeded"}, "order 2's other jobs",
             JOBS_SECONDS)
    lost = f"order-{http.get('/orders/2')['public_id']}-process_payment</code>: nowhere"
    assert lost in http.get("/demo/invariant")["html"]
    terminal.stop("worker")

    # Step 5: the lesson's retry, every payment declined: new jobs, until the cap
    write_payment_settings(redis, "queue:", PaymentSettings(0.0, 1.0))
    terminal.start("retries", doc.LESSON_RETRIES)
    assert http.post("/orders", {"email": "c@example.com",
                                 "items": [{"sku": "TEA-SENCHA", "quantity": 2}]}) == 201
    # The capped copy fails on default, where the lesson's migrate_delayed put it
    wait_for(lambda: "retry for ever" in "".join(redis.lrange("queue:failed:default", 0, -1)),
             "the lesson's retries to reach their cap", JOBS_SECONDS)
    terminal.stop("retries")

    # Step 6: a clean start (make reset), one order, then a delayed job
    reset = subprocess.run([sys.executable, "-m", "devtools.workshop", "reset"],
                           cwd=terminal.clone, env=terminal.env, capture_output=True, text=True)
    assert reset.returncode == 0, reset.stderr
    terminal.ran.append("make reset")
    terminal.start("worker", live.WORKER)
    assert http.post("/orders", {"email": "a@example.com",
                                 "items": [{"sku": "TEA-SENCHA", "quantity": 1}]}) == 201
    wait_for(lambda: states_of(http, 1) == {"succeeded"}, "the new order 1's jobs", JOBS_SECONDS)
    run_sessions("06-delayed-jobs.md", terminal.env)
    assert '"order_confirmation"' in terminal.run(doc.DELAYED)

    # Step 7: a worker for the warehouse queue starts
    warehouse = terminal.start("warehouse", doc.WAREHOUSE_WORKER)
    wait_for(lambda: "Worker started on queue: warehouse" in terminal.log("warehouse"),
             "the warehouse worker", START_SECONDS, give_up=lambda: None if warehouse.poll()
             is None else terminal.log("warehouse"))
    terminal.stop("warehouse")

    # Step 8: SIGTERM while the worker runs a payment: it finishes it, then exits 0
    write_payment_settings(redis, "queue:", SLOW_PAYMENT)
    assert http.post("/orders", {"email": "d@example.com",
                                 "items": [{"sku": "TEA-SENCHA", "quantity": 1}]}) == 201
    wait_for(lambda: jobs_of(http, 2)["process_payment"]["state"] == "running",
             "order 2's payment to run", JOBS_SECONDS)
    terminal.stop("worker", signal.SIGTERM)
    assert jobs_of(http, 2)["process_payment"]["state"] == "succeeded"
    assert "shop_jobs_processed_total" in terminal.run(live.METRICS)
    redis.close()

    # Then every command of the workshop ran, and every output it shows was printed
    assert set(doc.WORKSHOP) <= set(terminal.ran), set(doc.WORKSHOP) - set(terminal.ran)
    printed = {shape(line) for line in terminal.printed}
    missing = {line: pages for line, pages in output_lines(workshop_pages()).items()
               if shape(line) not in printed}
    assert not missing, f"output the workshop shows that no command printed: {missing}\n" \
        "printed:\n" + "\n".join(terminal.printed)


def _start_run(terminal: Terminal) -> subprocess.Popen[bytes]:
    """`make run WORKERS=0` as make runs it: python run.py, WORKERS and PORT in its env."""
    with (terminal.clone / "run.log").open("wb") as out:
        process = subprocess.Popen([sys.executable, "run.py"], cwd=terminal.clone,
                                   env=terminal.env, stdout=out, stderr=subprocess.STDOUT)
    terminal.started["run"] = process
    return process


def _answers(http: Http) -> bool:
    try:
        http.get("/products")
    except OSError:
        return False
    return True
