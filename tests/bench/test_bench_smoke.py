"""The benchmark still runs: one tiny round of `make bench`, its report checked for shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = [
    "--jobs", "200", "--rounds", "1", "--samples", "20", "--delayed", "20",
    "--max-delay-seconds", "0.2", "--waiting", "200", "--settle-seconds", "0.2",
    "--scale-jobs", "200", "--orders-seconds", "0",
]
ROW_KEYS = {
    "system", "label", "delivery", "drain_jobs_per_second", "enqueue_jobs_per_second",
    "pickup_p50_ms", "pickup_p99_ms", "rss_mb", "round_trips_per_job", "commands_per_job",
    "ratio_to_naive", "ratio_to_best_peer", "medians",
}


def test_bench_runs_and_writes_its_report(tmp_path: Path) -> None:
    # Given tiny counts, no peers and no load test
    command = [sys.executable, "-m", "bench.run", *TINY, "--out", str(tmp_path)]

    # When the benchmark runs
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    # Then it writes a report with a row per system
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert {"date", "machine", "settings", "systems", "skipped", "orders"} <= set(report)
    rows = {row["system"]: row for row in report["systems"]}
    assert set(rows) == {"queue", "naive"}
    for row in rows.values():
        assert set(row) >= ROW_KEYS
        assert row["drain_jobs_per_second"] > 0
        assert row["round_trips_per_job"] > 0
    extras = rows["queue"]["medians"]["extras"]
    assert {"dispatch_many", "delayed_lateness", "rss_idle_mb", "workers"} <= set(extras)
    markdown = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "| this project (jobs.Worker) |" in markdown
    # The report is for users: measurements, never a table of internal targets
    assert "target" not in markdown.lower()
