"""The report as Markdown: printed by `make bench` and written to bench/results/latest.md."""

from __future__ import annotations

from typing import Any

from bench.serving import serving_lines

HEADER = (
    "| system | delivery | drain jobs/s | enqueue jobs/s (1 call/job{pinned}) "
    "| pick-up p50 / p99 ms | worker RSS MB | round trips/job | Redis commands/job "
    "| vs naive loop | vs best peer |\n"
    "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
)


def number(value: float | None, digits: int = 0) -> str:
    """A number as the table shows it ("n/a" for None)."""
    return "n/a" if value is None else f"{value:,.{digits}f}"


def per_second(rate: float | None) -> str:
    """A rate as the tables show it: 0.5, 50, 1,200 ("none" for None)."""
    return "none" if rate is None else f"{rate:,g}"


def system_line(row: dict[str, Any]) -> str:
    return " | ".join([
        f"| {row['label']}", row["delivery"], number(row["drain_jobs_per_second"]),
        number(row["enqueue_jobs_per_second"]),
        f"{number(row['pickup_p50_ms'], 1)} / {number(row['pickup_p99_ms'], 1)}",
        number(row["rss_mb"]), number(row["round_trips_per_job"], 2),
        number(row["commands_per_job"], 1), number(row["ratio_to_naive"], 2),
        f"{number(row['ratio_to_best_peer'], 2)} |",
    ])


def pinning(report: dict[str, Any]) -> str | None:
    """Where the single-connection measurements ran, if pinned (bench/pinning.py)."""
    pinned = [row["medians"]["enqueue"].get("pinned") for row in report["systems"]]
    return next((where for where in pinned if where), None)


def context_lines(report: dict[str, Any]) -> list[str]:
    machine, settings = report["machine"], report["settings"]
    where = pinning(report)
    pinned = (f" One connection's figures (enqueue, dispatch against RPUSH, dispatch_many) "
              f"were measured pinned, {where}: unpinned, they move with where the scheduler "
              "puts the two processes." if where else "")
    return [
        f"Measured {report['date']} on {machine['cpu']} ({machine['cores']} cores), "
        f"Redis {machine['redis']} on loopback (no persistence), Python {machine['python']}, "
        f"redis-py {machine['redis_py']}; 1-minute load average before the run: "
        f"{machine['load_average_before']:.1f}.",
        f"{settings['jobs']:,} no-op jobs, one worker process, medians of {settings['rounds']} "
        "interleaved rounds; drain timed inside the worker from the first job's start to the "
        "last job's end; round trips and RSS of the worker process while draining; Redis "
        "commands per job from `INFO commandstats` (a Lua script counts as its EVALSHA plus "
        "the commands it runs)." + pinned,
    ]


def format_markdown(report: dict[str, Any]) -> str:
    """The whole report: context, the systems table, skips, orders."""
    header = HEADER.format(pinned=", pinned" if pinning(report) else "")
    lines = [*context_lines(report), "", header, *map(system_line, report["systems"])]
    if report["best_peer_by_round"]:
        lines += ["", "Best peer: the fastest at-least-once peer of each round "
                  f"({', '.join(report['best_peer_by_round'])})."]
    queue = next((row for row in report["systems"] if row["system"] == "queue"), None)
    if queue is not None:
        lines += ["", *queue_lines(queue)]
    if report.get("serving"):
        lines += ["", *serving_lines(report["serving"])]
    for name, reason in report["skipped"].items():
        lines.append(f"\n- {name}: skipped ({reason})")
    if report.get("orders"):
        lines += ["", orders_lines(report["orders"])]
    return "\n".join(lines) + "\n"


def queue_lines(row: dict[str, Any]) -> list[str]:
    """The project's queue beyond the systems table: its other paths and settings."""
    extras = row["medians"]["extras"]
    versus = extras["dispatch_vs_rpush"]
    lateness = extras["delayed_lateness"]
    bulk = extras.get("dispatch_many") or {}
    workers = extras["workers"]
    measures = [
        ("drain, against the lesson's loop", f"{number(row['ratio_to_naive'], 2)} x"),
        ("drain, against the fastest at-least-once peer of each round",
         f"{number(row['ratio_to_best_peer'], 2)} x"),
        ("`dispatch`, against a bare `RPUSH` (1 call per job, taking turns"
         + (", pinned)" if versus.get("pinned") else ")"),
         f"{number(versus['ratio'], 2)} x ({number(versus['dispatch_jobs_per_second'])} "
         f"against {number(versus['rpush_jobs_per_second'])} jobs/s)"),
        ("`dispatch_many`", f"{number(bulk.get('jobs_per_second'))} jobs/s"),
        ("delayed jobs: lateness p50 / p99",
         f"{number(lateness['p50_ms'], 1)} / {number(lateness['p99_ms'], 1)} ms"),
        (f"worker RSS, idle and with {extras['delayed_waiting']:,} delayed jobs waiting",
         f"{number(extras['rss_idle_mb'], 1)} and "
         f"{number(extras['rss_with_delayed_waiting_mb'], 1)} MB"),
        ("4 workers against 2", f"{number(workers['4']['jobs_per_second'])} against "
         f"{number(workers['2']['jobs_per_second'])} jobs/s"),
    ]
    return ["| the project's queue | measured |", "| --- | ---: |",
            *(f"| {what} | {value} |" for what, value in measures if "n/a" not in value)]


def orders_lines(orders: dict[str, Any]) -> str:
    """The POST /orders section: the paragraph, each configuration's highest rate, each rate."""
    if "skipped" in orders:
        return f"POST /orders under load: skipped ({orders['skipped']})."
    summary = ["| POST /orders | highest rate with p99 within the bound, orders/s | bound ms |",
               "| --- | ---: | ---: |"]
    rows = ["| POST /orders | orders/s sent | answered/s | p50 ms | p99 ms | errors "
            "| gunicorn CPU ms/order | sent late, p99 ms | runs |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for mode, run in orders["modes"].items():
        if "skipped" in run:
            summary.append(f"| {mode} | skipped ({run['skipped']}) | |")
            continue
        summary.append(f"| {mode} | {per_second(run['highest_rate_within_bound'])} "
                       f"| {number(run['bound_ms'])} |")
        rows += [rate_line(mode, rate, run["runs"]) for rate in run["rates"]]
    return "\n".join([orders["description"], "", *summary, "", *rows])


def rate_line(mode: str, rate: dict[str, Any], runs: int) -> str:
    p99 = "past the bound" if rate["p99_ms"] is None else number(rate["p99_ms"], 1)
    return (f"| {mode} | {per_second(rate['offered_per_second'])} "
            f"| {number(rate['answered_per_second'], 1)} | {number(rate['p50_ms'], 1)} | {p99} "
            f"| {rate['errors']} | {number(rate['web_cpu_ms_per_order'], 2)} "
            f"| {number(rate['late_p99_ms'], 1)} | {rate['runs']} of {runs} |")
