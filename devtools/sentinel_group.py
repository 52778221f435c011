"""A Redis master, its replica and three sentinels on loopback: for tests and the benchmark.

Each server is a child process of the caller; `kill_master` SIGKILLs the master, as a lost
machine would, and `restart_old_master` brings it back, which the sentinels then turn into
a replica of the new master. The group's data lives in one folder.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import redis

from devtools.embedded_redis import find_redis_server, free_port

MASTER_NAME = "shop"
# How long the master must be silent before the sentinels act: long enough that a loaded
# machine's slow answer is not taken for a dead master.
DOWN_AFTER_MS = 3000
FAILOVER_TIMEOUT_MS = 5000


@dataclass
class SentinelGroup:
    """The servers of the group, each by its port."""

    data_dir: Path
    executable: str = field(default_factory=find_redis_server)
    data_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    sentinel_ports: list[int] = field(default_factory=lambda: [free_port() for _ in range(3)])
    processes: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", port) for port in self.sentinel_ports]

    @property
    def sentinels_setting(self) -> str:
        """The sentinels as REDIS_SENTINELS takes them: host:port,host:port,..."""
        return ",".join(f"{host}:{port}" for host, port in self.sentinels)

    def start(self) -> None:
        """Start the master, its replica and the sentinels; return once all answer."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        master, replica = self.data_ports
        self._start_data_server(master)
        self._start_data_server(replica, replica_of=master)
        for port in self.sentinel_ports:
            config = self.data_dir / f"sentinel-{port}.conf"
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.data_dir}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER_NAME} {FAILOVER_TIMEOUT_MS}\n",
                encoding="utf-8",
            )
            self._spawn(port, [self.executable, str(config), "--sentinel"])
        for port in [*self.data_ports, *self.sentinel_ports]:
            _wait_until(partial(_answers, port), f"port {port} to answer")
        _wait_until(lambda: self._replica_in_sync(replica), "the replica to sync")
        _wait_until(lambda: self._all_sentinels_see(replica), "the sentinels to know the replica")

    def master_port(self) -> int:
        """The master's port, as the first sentinel that answers says."""
        for port in self.sentinel_ports:
            named = self._master_named_by(port)
            if named is not None:
                return named
        raise RuntimeError("no sentinel answers")

    def _master_named_by(self, sentinel_port: int) -> int | None:
        try:
            with redis.Redis(port=sentinel_port, socket_timeout=1) as sentinel:
                _, master = sentinel.sentinel_get_master_addr_by_name(MASTER_NAME)
                return int(master)
        except (redis.RedisError, TypeError):
            return None

    def kill_master(self) -> int:
        """SIGKILL the master now; return its port."""
        port = self.master_port()
        self.processes[port].send_signal(signal.SIGKILL)
        self.processes[port].wait()
        return port

    def wait_for_failover(self, old_master: int, timeout_seconds: float = 30.0) -> int:
        """Wait until every sentinel names the same new master, and it answers; its port."""
        def agreed() -> bool:
            named = {self._master_named_by(port) for port in self.sentinel_ports}
            return len(named) == 1 and old_master not in named and None not in named

        _wait_until(lambda: agreed() and _answers(self.master_port()), "a new master",
                    timeout_seconds)
        return self.master_port()

    def restart_old_master(self, port: int) -> None:
        """Start the killed master again, as a replica of the new one (as the sentinels
        would make it, only sooner)."""
        self._start_data_server(port, replica_of=self.master_port())
        _wait_until(lambda: _answers(port), f"port {port} to answer")
        _wait_until(lambda: self._replica_in_sync(port), "the old master to sync as a replica")
        _wait_until(lambda: self._all_sentinels_see(port),
                    "the sentinels to know the old master as a replica")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait()

    def _start_data_server(self, port: int, replica_of: int | None = None) -> None:
        command = [self.executable, "--bind", "127.0.0.1", "--port", str(port),
                   "--dir", str(self.data_dir), "--dbfilename", f"dump-{port}.rdb",
                   "--save", "", "--appendonly", "no"]
        if replica_of is not None:
            command += ["--replicaof", "127.0.0.1", str(replica_of)]
        self._spawn(port, command)

    def _spawn(self, port: int, command: list[str]) -> None:
        log = (self.data_dir / f"{port}.log").open("ab")
        self.processes[port] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)
        log.close()  # the child has its own copy

    def _replica_in_sync(self, port: int) -> bool:
        with redis.Redis(port=port, socket_timeout=1) as server:
            info = server.info("replication")
            return bool(info.get("role") == "slave" and info.get("master_link_status") == "up")

    def _all_sentinels_see(self, replica_port: int) -> bool:
        return all(self._sentinel_sees_replica(port, replica_port) for port in self.sentinel_ports)

    def _sentinel_sees_replica(self, port: int, replica_port: int | None = None) -> bool:
        """Whether the sentinel at port knows a healthy replica (at replica_port, if given)."""
        with redis.Redis(port=port, socket_timeout=1) as sentinel:
            replicas = sentinel.sentinel_slaves(MASTER_NAME)
        return any(
            (replica_port is None or int(replica["port"]) == replica_port)
            and not ({"s_down", "o_down", "disconnected"} & set(replica["flags"].split(",")))
            for replica in replicas
        )


def _answers(port: int) -> bool:
    try:
        with redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5) as server:
            return bool(server.ping())
    except redis.RedisError:
        return False


def _wait_until(condition: Callable[[], bool], what: str, timeout_seconds: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_seconds:g} s waiting for {what}")
        time.sleep(0.05)  # polling a condition with a deadline
