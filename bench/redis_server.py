"""A throwaway redis-server for the benchmark: loopback, a free port, no persistence."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from devtools.embedded_redis import EmbeddedRedis, free_port, start_embedded_redis

__all__ = ["BenchRedis", "free_port", "start_bench_redis"]


@dataclass
class BenchRedis:
    """The embedded Redis with nothing on disk, and the folder it runs in."""

    server: EmbeddedRedis
    data_dir: tempfile.TemporaryDirectory[str]

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        """Stop the server, wait for it, and remove its folder."""
        self.server.stop()
        self.data_dir.cleanup()


def start_bench_redis() -> BenchRedis:
    """Start redis-server with AOF and snapshots off (unlike the app's), wait until it answers.

    The app's embedded Redis fsyncs every write (`appendfsync always`); that would measure
    the disk, not the queue.
    """
    data_dir = tempfile.TemporaryDirectory(prefix="bench-redis-")
    return BenchRedis(start_embedded_redis(Path(data_dir.name), durable=False), data_dir)
