"""The failover benchmark still runs: one failover per mode, its table checked for shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_failover_benchmark_runs() -> None:
    # When the benchmark runs one failover per mode, on servers of its own
    command = [sys.executable, "-m", "bench.failover", "--failovers", "1"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)

    # Then it prints a row per mode, each with jobs acknowledged
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| master")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| master only (default)", "| master and 1 replica (JOBS_WAIT_REPLICAS=1)"
    ]
    assert all(int(row.split(" | ")[3].replace(",", "")) > 0 for row in rows), done.stdout
