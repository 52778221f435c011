"""POST /orders under load: gunicorn (2 workers) and 32 clients on loopback, as in issue 6.

The shop runs as deployed: gunicorn serving `shop:create_app()`, with two job workers
(`worker.py`) beside it and the payment gateway taking 1.5 s, all on the benchmark's
Redis and a SQLite database in a temporary folder. The load generator (threads with
http.client, in the benchmark's process) shares the machine's cores with them.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.latency import percentiles
from bench.processes import ROOT, stop_worker, tail
from bench.redis_server import free_port

DURATION_SECONDS = 20.0
CLIENTS = 32
WEB_WORKERS = 2
JOB_WORKERS = 2
PAYMENT_LATENCY_SECONDS = 1.5
ORDER = json.dumps({"email": "load@example.com", "items": [{"sku": "TEA-SENCHA", "quantity": 1}]})
DESCRIPTION = (
    f"POST /orders: gunicorn with {WEB_WORKERS} sync workers, {JOB_WORKERS} job workers, "
    f"payment latency {PAYMENT_LATENCY_SECONDS} s, {CLIENTS} concurrent clients (stdlib "
    "http.client in threads, on the same cores) on loopback, SQLite."
)


def run(redis_url: str, seconds: float, workdir: Path) -> dict[str, Any]:
    """The load in each mode the app has; a reason instead where it cannot run."""
    if seconds <= 0:
        return {"skipped": "--orders-seconds 0"}
    if importlib.util.find_spec("gunicorn") is None:
        return {"skipped": "gunicorn is not installed: pip install -e '.[deploy]'"}
    env = {
        **os.environ, "REDIS_URL": redis_url, "SHOP_INSTANCE_PATH": str(workdir / "shop"),
        "DATABASE_URL": "", "SHOP_SMTP_HOST": "",
        "SHOP_PAYMENT_LATENCY": str(PAYMENT_LATENCY_SECONDS),
    }
    init = subprocess.run([sys.executable, "-m", "flask", "--app", "shop", "init-db"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if init.returncode != 0:
        return {"skipped": f"init-db failed: {init.stderr.strip().splitlines()[-1:]}"}
    return {
        "description": DESCRIPTION,
        "modes": {
            "queued (jobs run by workers)": load_shop(env, seconds, workdir),
            "synchronous (jobs inside the request)": {"skipped": "the app has no such mode yet"},
        },
    }


def load_shop(env: dict[str, str], seconds: float, workdir: Path) -> dict[str, Any]:
    """Start gunicorn and the job workers, load POST /orders for seconds, stop them."""
    port = free_port()
    log_path = workdir / "orders.log"
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(WEB_WORKERS), "--bind",
                f"127.0.0.1:{port}", "--log-level", "warning", "shop:create_app()"]
    commands = [gunicorn] + [[sys.executable, "worker.py"]] * JOB_WORKERS
    with log_path.open("ab") as log:
        processes = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True) for c in commands]
    try:
        if not wait_until_serving(port):
            return {"skipped": f"gunicorn did not answer:\n{tail(log_path)}"}
        return generate_load(port, seconds)
    finally:
        for process in processes:
            stop_worker(process)


def wait_until_serving(port: int, timeout_seconds: float = 30.0) -> bool:
    """Poll GET /products until it answers 200, within the deadline."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/products", headers={"Accept": "application/json"})
            if connection.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)  # polling a condition with a deadline
    return False


def generate_load(port: int, seconds: float) -> dict[str, Any]:
    """CLIENTS threads each POST orders one after another until the time is up."""
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("POST", "/orders", ORDER, headers)
                response = connection.getresponse()
                response.read()
                if response.status != 201:
                    errors.append(f"HTTP {response.status}")
            except (OSError, http.client.HTTPException) as error:
                errors.append(type(error).__name__)
                connection.close()
                continue
            latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {
        "requests": len(latencies) + len(errors),
        "requests_per_second": (len(latencies) + len(errors)) / elapsed,
        **percentiles(latencies), "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
    }
