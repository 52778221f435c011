"""The report as Markdown: printed by `make bench` and written to bench/results/latest.md."""

from __future__ import annotations

from typing import Any

from bench.serving import serving_lines

ORDERS_P99_TARGET_MS = 50.0

HEADER = (
    "| system | delivery | drain jobs/s | enqueue jobs/s (1 call/job) | pick-up p50 / p99 ms "
    "| worker RSS MB | round trips/job | Redis commands/job | vs naive loop | vs best peer |\n"
    "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
)


def number(value: float | None, digits: int = 0) -> str:
    """A number as the table shows it ("n/a" for None)."""
    return "n/a" if value is None else f"{value:,.{digits}f}"


def system_line(row: dict[str, Any]) -> str:
    return " | ".join([
        f"| {row['label']}", row["delivery"], number(row["drain_jobs_per_second"]),
        number(row["enqueue_jobs_per_second"]),
        f"{number(row['pickup_p50_ms'], 1)} / {number(row['pickup_p99_ms'], 1)}",
        number(row["rss_mb"]), number(row["round_trips_per_job"], 2),
        number(row["commands_per_job"], 1), number(row["ratio_to_naive"], 2),
        f"{number(row['ratio_to_best_peer'], 2)} |",
    ])


def target_line(target: dict[str, Any]) -> str:
    met = {True: "yes", False: "**no**", None: "n/a"}[target["met"]]
    return f"| {target['what']} | {target['target']} | {number(target['measured'], 2)} | {met} |"


def context_lines(report: dict[str, Any]) -> list[str]:
    machine, settings = report["machine"], report["settings"]
    return [
        f"Measured {report['date']} on {machine['cpu']} ({machine['cores']} cores), "
        f"Redis {machine['redis']} on loopback (no persistence), Python {machine['python']}, "
        f"redis-py {machine['redis_py']}; 1-minute load average before the run: "
        f"{machine['load_average_before']:.1f}.",
        f"{settings['jobs']:,} no-op jobs, one worker process, medians of {settings['rounds']} "
        "interleaved rounds; drain timed inside the worker from the first job's start to the "
        "last job's end; round trips and RSS of the worker process while draining; Redis "
        "commands per job from `INFO commandstats` (a Lua script counts as its EVALSHA plus "
        "the commands it runs).",
    ]


def format_markdown(report: dict[str, Any]) -> str:
    """The whole report: context, the systems table, the queue's targets, skips, orders."""
    lines = [*context_lines(report), "", HEADER, *map(system_line, report["systems"])]
    if report["best_peer_by_round"]:
        lines += ["", "Best peer: the fastest at-least-once peer of each round "
                  f"({', '.join(report['best_peer_by_round'])})."]
    if report["targets"]:
        lines += ["", "| the project's queue (issue 6) | target | measured | met |",
                  "| --- | --- | ---: | --- |", *map(target_line, report["targets"])]
    if report.get("serving"):
        lines += ["", *serving_lines(report["serving"])]
    for name, reason in report["skipped"].items():
        lines.append(f"\n- {name}: skipped ({reason})")
    if report.get("orders"):
        lines += ["", orders_lines(report["orders"])]
    return "\n".join(lines) + "\n"


def orders_lines(orders: dict[str, Any]) -> str:
    if "skipped" in orders:
        return f"POST /orders under load: skipped ({orders['skipped']})."
    rows = [
        "| POST /orders | requests | requests/s | p50 ms | p99 ms | errors "
        "| gunicorn CPU ms/request | p99 <= 50 ms, no errors (issue 6) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for mode, run in orders["modes"].items():
        if "skipped" in run:
            rows.append(f"| {mode} | skipped ({run['skipped']}) | | | | | | |")
            continue
        # The target is the queued path's: the synchronous one is there to compare.
        met = "" if mode.startswith("synchronous") else (
            "yes" if run["p99_ms"] <= ORDERS_P99_TARGET_MS and not run["errors"] else "**no**")
        rows.append(f"| {mode} | {number(run['requests'])} | {number(run['requests_per_second'])} "
                    f"| {number(run['p50_ms'], 1)} | {number(run['p99_ms'], 1)} "
                    f"| {run['errors']} | {number(run.get('web_cpu_ms_per_request'), 2)} "
                    f"| {met} |")
    return f"{orders['description']}\n\n" + "\n".join(rows)
