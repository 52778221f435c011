"""The memory measurement still runs: a few orders' jobs, its table checked for shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_memory_benchmark_prints_bytes_per_job(redis_url: str) -> None:
    # When it measures 20 orders' jobs on the tests' Redis
    command = [sys.executable, "-m", "bench.memory", "--orders", "20", "--redis-url", redis_url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    # Then it prints a row for waiting, succeeded and failed jobs, each with its bytes per job
    assert done.returncode == 0, done.stdout + done.stderr
    assert "| a job | jobs | bytes added | bytes per job |" in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")][2:]
    assert [row.split(" | ")[0].split()[1] for row in rows] == ["waiting", "succeeded", "failed"]
    assert [row.split(" | ")[1] for row in rows] == ["60", "60", "20"]
