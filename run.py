"""Run the whole shop in one terminal: Redis if needed, the web app, 4 workers and the relay.

`make run` calls this. It:
1. starts an embedded redis-server when REDIS_URL is unset (AOF under instance/redis/);
2. migrates the schema and seeds the products (`flask --app shop init-db`);
3. starts the web app, 4 workers (the lesson's numprocs=4) and the outbox relay, which
   queues the jobs the web app could not, every line they print prefixed with the
   process's name; a worker that dies (the demo's "kill a worker") is started again, as
   supervisor's autorestart does; it asks for demo mode (SHOP_DEMO=1, unless set), and says
   so: the demo controls and the fault panel are on, retries back off from 1 s and a dead
   worker's jobs come back within about 9 s, so an audience sees it;
4. on Ctrl-C (or SIGTERM) sends SIGINT to each, waits until all have exited (a worker
   finishes its current job first), then stops Redis, last, as the workers need it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from devtools.embedded_redis import EmbeddedRedis, RedisNotFound, start_embedded_redis
from shop.config import parse_flag

ROOT = Path(__file__).resolve().parent
WORKERS = 4  # the lesson's numprocs=4; the WORKERS setting changes it (the workshop: 0)
# As supervisor's stopwaitsecs: more than a worker's shutdown timeout (JOBS_SHUTDOWN_TIMEOUT,
# 30 s), so a worker that must put its running job back still has time to do so.
STOP_WAIT_SECONDS = 45.0
RESTART_AFTER_SECONDS = 5.0  # as supervisor's startsecs: one dying sooner is not restarted
# Demo mode's settings, unless set: seconds, where the production defaults are 60 and 30.
DEMO_ENV = {"JOBS_RETRY_BASE": "1", "JOBS_RECOVERY_TIMEOUT": "6"}
PRINT_LOCK = threading.Lock()


@dataclass
class Child:
    """One process of the app, and the thread that relays its output."""

    name: str
    process: subprocess.Popen[str]
    relay: threading.Thread
    command: list[str]
    started_at: float


def say(message: str, name: str = "run") -> None:
    """Print one line, prefixed with the name of the process it comes from."""
    with PRINT_LOCK:
        print(f"{name:<8} | {message}", flush=True)


def relay(name: str, stream: IO[str]) -> None:
    """Print every line a child writes until it closes its output."""
    for line in stream:
        say(line.rstrip("\n"), name)


def start(name: str, command: list[str], env: Mapping[str, str]) -> Child:
    """Start a command in a session of its own, so Ctrl-C reaches only this launcher."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    assert process.stdout is not None
    thread = threading.Thread(target=relay, args=(name, process.stdout), daemon=True)
    thread.start()
    shown = " ".join(command).replace(sys.executable, "python")
    say(f"{name} started (pid {process.pid}): {shown}")
    return Child(name, process, thread, command, time.monotonic())


def stop(children: list[Child]) -> int:
    """SIGINT every child, wait for all (kill after STOP_WAIT_SECONDS), return 0 if all did."""
    for child in children:
        if child.process.poll() is None:
            os.killpg(child.process.pid, signal.SIGINT)  # what Ctrl-C sends a foreground job
    deadline = time.monotonic() + STOP_WAIT_SECONDS
    try:
        for child in children:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except (subprocess.TimeoutExpired, KeyboardInterrupt):  # too slow, or a second Ctrl-C
        say("killing what is still running")
        for child in children:
            child.process.kill()
            child.process.wait()
    for child in children:
        child.relay.join(timeout=1.0)  # its last lines before our summary
        say(f"{child.name} exited with code {child.process.returncode}")
    return 0 if all(child.process.returncode == 0 for child in children) else 1


def run_together(commands: Mapping[str, list[str]], env: Mapping[str, str]) -> int:
    """Start every command, run until Ctrl-C or until one exits for good, then stop them all."""
    children: list[Child] = []
    try:
        for name, command in commands.items():
            children.append(start(name, command, env))
        while True:
            time.sleep(0.2)  # Ctrl-C interrupts the sleep at once
            ended = next((child for child in children if child.process.poll() is not None), None)
            if ended is None:
                continue
            if not restartable(ended):
                say(f"{ended.name} exited on its own: stopping the others")
                break
            say(f"{ended.name} exited with code {ended.process.returncode}: starting it again")
            children[children.index(ended)] = start(ended.name, ended.command, env)
    except KeyboardInterrupt:
        say("stopping: workers finish their current job first")
    return stop(children)


def restartable(child: Child) -> bool:
    """Return True for a worker that ran a while before it died (killed, say)."""
    ran_seconds = time.monotonic() - child.started_at
    return child.name.startswith("worker.") and ran_seconds >= RESTART_AFTER_SECONDS


def init_db(env: Mapping[str, str]) -> int:
    """Create the schema and seed the products; return the command's exit code."""
    command = [sys.executable, "-m", "flask", "--app", "shop", "init-db"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    for line in (result.stdout + result.stderr).splitlines():
        say(line, "init-db")
    return result.returncode


def app_commands(port: str, workers_count: int = WORKERS) -> dict[str, list[str]]:
    """The web app, the workers and the relay, by name."""
    flask = [sys.executable, "-m", "flask", "--app", "shop"]
    workers = {f"worker.{n}": [sys.executable, "worker.py"] for n in range(1, workers_count + 1)}
    return {"web": [*flask, "run", "--port", port], **workers, "relay": [*flask, "relay"]}


def start_redis(instance_path: Path) -> EmbeddedRedis | None:
    """Start the embedded Redis and say which binary it runs; None if there is none."""
    try:
        server = start_embedded_redis(instance_path / "redis")
    except RedisNotFound as error:
        print(f"run.py: {error}", file=sys.stderr)
        return None
    say(f"REDIS_URL is unset: started {server.executable} (pid {server.process.pid})")
    say(f"embedded Redis at {server.url}, data and AOF in {server.data_dir}")
    # For the other terminals of a workshop: `export REDIS_URL=$(cat instance/redis/url)`.
    (server.data_dir / "url").write_text(server.url + "\n")
    return server


def main() -> int:
    """Start everything, wait for Ctrl-C, stop everything; the exit code says if all went well."""
    # Ctrl-C and SIGTERM raise KeyboardInterrupt here, even where a shell started us with
    # SIGINT ignored (`cmd &` in a script); the children then start with SIGINT on again.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # children's lines show as they are printed
    env.setdefault("SHOP_DEMO", "1")  # the app itself is in production mode unless asked
    if parse_flag(env["SHOP_DEMO"]):
        env = DEMO_ENV | env  # what the user set wins
        say("demo mode is on (SHOP_DEMO=1): the demo controls and the fault panel, which "
            "kills workers, are open to whoever reaches the web app; never on a server")
    redis_server = None
    if not env.get("REDIS_URL"):
        redis_server = start_redis(Path(env.get("SHOP_INSTANCE_PATH") or ROOT / "instance"))
        if redis_server is None:
            return 1
        env["REDIS_URL"] = redis_server.url
    try:
        if init_db(env) != 0:
            return 1
        workers_count = int(env.get("WORKERS") or WORKERS)
        return run_together(app_commands(env.get("PORT") or "5000", workers_count), env)
    except KeyboardInterrupt:  # Ctrl-C before the app started
        return 130
    finally:
        if redis_server is not None:
            (redis_server.data_dir / "url").unlink(missing_ok=True)
            redis_server.stop()
            say(f"embedded Redis stopped (exit code {redis_server.process.returncode})")


if __name__ == "__main__":
    sys.exit(main())
