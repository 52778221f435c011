"""`make bench`: every system, round after round (A B A B A B), then the report.

`python -m bench.run [--peers] [--rounds 3] [--jobs 10000] ...` starts a redis-server of
its own, runs bench.measure for each system in each round (peers with their own venv's
python), takes medians, prints the table and writes bench/results/latest.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from bench import orders_load
from bench.peers.venv import DEFAULT_ROOT, VenvFailed, ensure_venvs
from bench.redis_server import BenchRedis, start_bench_redis
from bench.report import build_report
from bench.systems import PEERS, PROJECT_SYSTEMS, Settings
from bench.table import format_markdown

RESULTS = Path(__file__).resolve().parent / "results"
MEASURE_TIMEOUT_SECONDS = 900


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", action="store_true", help="also RQ, Celery, Dramatiq, ...")
    parser.add_argument("--only-peers", metavar="NAMES", help="comma-separated subset of peers")
    parser.add_argument("--peers-venv", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--rounds", type=int, default=3)
    for field in fields(Settings)[2:]:
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default),
                            default=field.default)
    parser.add_argument("--orders-seconds", type=float, default=orders_load.SECONDS_PER_RATE,
                        help="POST /orders: seconds of load at each rate; 0 skips it")
    parser.add_argument("--orders-rounds", type=int, default=orders_load.ROUNDS,
                        help="POST /orders: runs of each configuration (medians)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.*")
    return parser.parse_args(argv)


def interpreters(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """The python of each system to run, and the peers skipped with the reason."""
    pythons = {name: sys.executable for name in PROJECT_SYSTEMS}
    if not args.peers:
        return pythons, {}
    peers = args.only_peers.split(",") if args.only_peers else list(PEERS)
    print(f"Preparing virtualenvs under {args.peers_venv} ...", flush=True)
    made = ensure_venvs(args.peers_venv, peers)
    skipped = {name: str(venv) for name, venv in made.items() if isinstance(venv, VenvFailed)}
    pythons.update({name: str(venv) for name, venv in made.items()
                    if not isinstance(venv, VenvFailed)})
    return pythons, skipped


def measure_round(python: str, name: str, settings: Settings, round_no: int
                  ) -> dict[str, Any] | str:
    """One system's round in a process of its own; its result, or why it failed."""
    out = settings.workdir / f"{name}-round{round_no}.json"
    options = [f"--{k.replace('_', '-')}={v}" for k, v in asdict(settings).items()]
    command = [python, "-m", "bench.measure", name, f"--out={out}", *options]
    env = {**os.environ, "PYTHONPATH": str(RESULTS.parent.parent)}
    try:
        done = subprocess.run(command, cwd=RESULTS.parent.parent, env=env, capture_output=True,
                              text=True, timeout=MEASURE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return f"no result within {MEASURE_TIMEOUT_SECONDS} s"
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        return f"failed: {lines[-1] if lines else done.returncode}"
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def machine(server: BenchRedis, load_before: float) -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    client = redis.Redis.from_url(server.url)
    version = client.info("server")["redis_version"]
    # Redis checks blocking timeouts hz times a second: a shorter blocking timeout waits longer.
    hz = int(client.config_get("hz").get("hz") or 0)
    client.close()
    return {"cpu": cpu, "cores": os.cpu_count(), "redis": version, "redis_hz": hz,
            "python": platform.python_version(), "redis_py": redis.__version__,
            "system": platform.platform(),
            # Other work on the machine skews every number: the 1-minute load average before.
            "load_average_before": load_before}


def run_rounds(pythons: dict[str, str], settings: Settings, rounds: int
               ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Every system once per round, in the same order each round; failures kept as reasons."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in pythons}
    failures: dict[str, str] = {}
    for round_no in range(1, rounds + 1):
        for name, python in pythons.items():
            started = time.monotonic()
            result = measure_round(python, name, settings, round_no)
            took = time.monotonic() - started
            if isinstance(result, str):
                failures[name] = result
                print(f"round {round_no} {name:<9} {result} ({took:.0f} s)", flush=True)
                continue
            results[name].append(result)
            print(f"round {round_no} {name:<9} drain {result['drain']['jobs_per_second']:>8,.0f}"
                  f" jobs/s ({took:.0f} s)", flush=True)
    skipped = {name: failures[name] for name, rs in results.items() if not rs}
    return {name: rs for name, rs in results.items() if rs}, skipped


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    pythons, skipped = interpreters(args)
    server = start_bench_redis()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
            sizes = {f.name: getattr(args, f.name) for f in fields(Settings)[2:]}
            settings = Settings(redis_url=server.url, workdir=Path(workdir), **sizes)
            results, failed = run_rounds(pythons, settings, args.rounds)
            orders = orders_load.run(server.url, args.orders_seconds, Path(workdir),
                                      args.orders_rounds)
        context = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(server, load_before),
            "settings": {"rounds": args.rounds, **sizes},
            "orders": orders,
        }
    finally:
        server.stop()
    report = build_report(results, {**skipped, **failed}, context)
    markdown = format_markdown(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (args.out / "latest.md").write_text(markdown, encoding="utf-8")
    print("\n" + markdown)
    print(f"Written: {args.out / 'latest.json'}, {args.out / 'latest.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
