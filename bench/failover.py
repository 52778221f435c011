"""Jobs lost in a Redis Sentinel failover: dispatched, acknowledged, and gone after it.

`python -m bench.failover [--failovers 10]` starts a master, its replica and three
sentinels (devtools/sentinel_group.py), and for each mode (acknowledged by the master
alone, or also by one replica with WAIT) dispatches jobs as fast as one client can while
the master is SIGKILLed, again and again. After each failover it counts the jobs whose
dispatch returned without an error but of which the new master knows nothing. It also
prints each mode's dispatch rate while no failover runs: what the waiting costs.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from devtools.sentinel_group import MASTER_NAME, SentinelGroup
from jobs import JobQueue, connect_sentinel

MODES = {"master only (default)": 0, "master and 1 replica (JOBS_WAIT_REPLICAS=1)": 1}
LOAD_SECONDS = 1.0  # dispatching before each kill
RATE_SECONDS = 2.0  # the dispatch rate measured while nothing fails


class Dispatcher(threading.Thread):
    """Dispatches jobs in a loop, remembering the ids of those acknowledged."""

    def __init__(self, queue: JobQueue) -> None:
        super().__init__(daemon=True)
        self.queue = queue
        self.acknowledged: list[str] = []
        self.refused = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.acknowledged.append(self.queue.dispatch("bench", "noop", {}))
            except RedisError:
                self.refused += 1
                self.stopping.wait(0.01)  # Redis is failing over: try again shortly


def dispatch_rate(queue: JobQueue) -> float:
    """Dispatches per second from one client while nothing fails."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < RATE_SECONDS:
        queue.dispatch("bench", "noop", {})
        done += 1
    return done / (time.perf_counter() - started)


def measure_mode(group: SentinelGroup, wait_replicas: int, failovers: int) -> dict[str, Any]:
    client = connect_sentinel(group.sentinels, MASTER_NAME, socket_timeout=1.0,
                              socket_connect_timeout=0.5)
    queue = JobQueue(client, prefix=f"failover-{wait_replicas}:", wait_replicas=wait_replicas)
    rate = dispatch_rate(queue)
    acknowledged = lost = refused = 0
    for _ in range(failovers):
        dispatcher = Dispatcher(queue)
        dispatcher.start()
        time.sleep(LOAD_SECONDS)  # the load before the kill: part of the measurement
        old_master = group.kill_master()
        group.wait_for_failover(old_master)
        group.restart_old_master(old_master)
        dispatcher.stopping.set()
        dispatcher.join()
        states = queue.states([("bench", job_id) for job_id in dispatcher.acknowledged])
        acknowledged += len(dispatcher.acknowledged)
        lost += sum(state is None for state in states)
        refused += dispatcher.refused
    client.close()
    return {"dispatches_per_second": rate, "failovers": failovers,
            "acknowledged": acknowledged, "lost": lost, "refused_while_failing_over": refused}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failovers", type=int, default=10, help="master kills per mode")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        group = SentinelGroup(Path(folder))
        group.start()
        try:
            results = {mode: measure_mode(group, replicas, args.failovers)
                       for mode, replicas in MODES.items()}
        finally:
            group.stop()
    print("| acknowledged by | dispatches/s, no failover | failovers | jobs acknowledged "
          "| acknowledged jobs lost |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for mode, result in results.items():
        print(f"| {mode} | {result['dispatches_per_second']:,.0f} | {result['failovers']} "
              f"| {result['acknowledged']:,} | {result['lost']:,} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
