"""A Redis Cluster of three masters on loopback: for tests, and to try the shop on a cluster.

    python -m devtools.redis_cluster    # prints the cluster's URL; Ctrl-C stops it

Each node is a child process of the caller, with a port and a data folder of its own under
one folder. The cluster is formed with plain commands, as `redis-cli --cluster create` would:
each master takes a third of the 16384 hash slots, then they meet. `kill` SIGKILLs a node,
as a lost machine would; with no replicas, its slots then have no owner and the cluster
refuses commands (cluster_state:fail) until it is back.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType

import redis

from devtools.embedded_redis import find_redis_server, free_port

MASTERS = 3
HASH_SLOTS = 16384
# How long a node must be silent before the others mark it failed: short, so a test that
# kills a node sees the cluster react within seconds.
NODE_TIMEOUT_MS = 2000
# Each node also listens on its port + 10000, the cluster bus (Redis before 7.0 has no
# setting to move it), so a node's port must leave room for that.
HIGHEST_PORT = 65535 - 10000
# CLUSTER ADDSLOTSRANGE came with Redis 7.0; before it, slots are added by number.
ADDSLOTSRANGE_SINCE = (7, 0)
ADDSLOTS_CHUNK = 1000


def cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    while True:
        port = free_port()
        if port <= HIGHEST_PORT and _is_free(port + 10000):
            return port


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def slot_ranges(masters: int = MASTERS) -> list[tuple[int, int]]:
    """The first and last hash slot of each master: 16384 split into nearly equal parts."""
    bounds = [HASH_SLOTS * i // masters for i in range(masters + 1)]
    return [(bounds[i], bounds[i + 1] - 1) for i in range(masters)]


@dataclass
class RedisClusterGroup:
    """The cluster's nodes, each by its port; a context manager that stops them on exit."""

    data_dir: Path
    executable: str = field(default_factory=find_redis_server)
    ports: list[int] = field(default_factory=lambda: [cluster_port() for _ in range(MASTERS)])
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The URL of one node; a cluster client finds the others from it (db 0 only)."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    @property
    def nodes(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", port) for port in self.ports]

    def start(self, timeout_seconds: float = 30.0) -> None:
        """Start the nodes, give each its slots, introduce them; return once the cluster is ok."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for port in self.ports:
            self._start_node(port)
        for port in self.ports:
            _wait_until(partial(_answers, port), f"port {port} to answer", timeout_seconds)
        self._form(timeout_seconds)

    def _form(self, timeout_seconds: float) -> None:
        first, *others = self.ports
        for epoch, (port, (low, high)) in enumerate(zip(self.ports, slot_ranges(), strict=True)):
            with _node(port) as node:
                _require_cluster_mode(node, self.executable)
                # Distinct epochs from the start, as redis-cli sets them: otherwise the nodes
                # first have to settle who owns what by bumping epochs among themselves.
                node.cluster("SET-CONFIG-EPOCH", epoch + 1)
                add_slots(node, low, high)
        with _node(first) as node:
            for port in others:
                node.cluster("MEET", "127.0.0.1", port)
        _wait_until(self.is_ok, "every node to report cluster_state:ok", timeout_seconds)

    def is_ok(self) -> bool:
        """Whether every node answers, knows every node, and reports cluster_state:ok."""
        return all(_node_is_ok(port, len(self.ports)) for port in self.ports)

    def kill(self, port: int) -> None:
        """SIGKILL the node at port now, as a lost machine."""
        self.processes[port].send_signal(signal.SIGKILL)
        self.processes[port].wait()

    def stop(self) -> None:
        """Stop every node and wait for it to exit."""
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait()

    def __enter__(self) -> RedisClusterGroup:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_node(self, port: int) -> None:
        node_dir = self.data_dir / str(port)
        node_dir.mkdir(parents=True, exist_ok=True)
        command = [
            self.executable, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(node_dir),
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
            "--appendonly", "no", "--save", "",
        ]
        log = (node_dir / "redis.log").open("ab")
        # A session of its own: Ctrl-C in the terminal reaches the caller, which stops the
        # nodes, and not the nodes directly.
        self.processes[port] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)
        log.close()  # the child has its own copy


def start_redis_cluster(data_dir: Path, timeout_seconds: float = 30.0) -> RedisClusterGroup:
    """Start a three-master Redis Cluster with its data under data_dir; return it once ok.

    Use it as `with start_redis_cluster(path) as cluster:` to stop it on leaving the block.
    """
    cluster = RedisClusterGroup(data_dir)
    try:
        cluster.start(timeout_seconds)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def add_slots(node: redis.Redis, low: int, high: int) -> None:
    """Give node the hash slots low..high, in one command where its Redis has ADDSLOTSRANGE."""
    if server_version(node) >= ADDSLOTSRANGE_SINCE:
        node.cluster("ADDSLOTSRANGE", low, high)
        return
    for start in range(low, high + 1, ADDSLOTS_CHUNK):
        node.cluster("ADDSLOTS", *range(start, min(start + ADDSLOTS_CHUNK, high + 1)))


def server_version(node: redis.Redis) -> tuple[int, ...]:
    """The Redis version of node, as numbers: (7, 0, 15)."""
    version = str(node.info("server")["redis_version"])
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _require_cluster_mode(node: redis.Redis, executable: str) -> None:
    if not node.info("cluster").get("cluster_enabled"):
        raise RuntimeError(f"{executable} did not start in cluster mode")


def _node(port: int) -> redis.Redis:
    return redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=1,
                       decode_responses=True)


def _answers(port: int) -> bool:
    try:
        with _node(port) as node:
            return bool(node.ping())
    except redis.RedisError:
        return False


def _node_is_ok(port: int, nodes: int) -> bool:
    try:
        with _node(port) as node:
            info = node.cluster("INFO")
    except redis.RedisError:
        return False
    return bool(info["cluster_state"] == "ok" and int(info["cluster_known_nodes"]) == nodes)


def _wait_until(condition: Callable[[], bool], what: str, timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_seconds:g} s waiting for {what}")
        time.sleep(0.05)  # polling a condition with a deadline


def main() -> None:
    """Start a cluster in a temporary folder, print its URL, and keep it up until Ctrl-C
    (or SIGTERM)."""
    stopping: list[int] = []
    # Handlers of our own, not KeyboardInterrupt: a shell starts a background job with
    # SIGINT ignored, and `kill` sends SIGTERM; either way the nodes must be stopped.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda received, _frame: stopping.append(received))
    with tempfile.TemporaryDirectory(prefix="redis-cluster-") as folder, \
            start_redis_cluster(Path(folder)) as cluster:
        print(cluster.url, flush=True)
        print(f"nodes on ports {', '.join(map(str, cluster.ports))}; Ctrl-C stops them",
              file=sys.stderr, flush=True)
        while not stopping:
            signal.pause()


if __name__ == "__main__":
    main()
