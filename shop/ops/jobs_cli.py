"""The failed queue from the command line: `flask --app shop jobs failed|show|retry|…`."""

from __future__ import annotations

import json
import reprlib
from datetime import datetime
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from jobs import JobNotFound
from shop.extensions import current_queue


class JobsGroup(AppGroup):
    """The `jobs` commands: an unknown id ends any of them with a message and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except JobNotFound as error:
            raise click.ClickException(str(error)) from None


jobs_cli = JobsGroup("jobs", help="List, show, retry and delete the jobs in the failed queue.")
handler_option = click.option("--handler", metavar="NAME", help="Only the jobs of this handler.")


def format_time(timestamp: float | None) -> str:
    """Return a unix time as local 'YYYY-MM-DD HH:MM:SS', or '-'."""
    return datetime.fromtimestamp(timestamp).isoformat(" ", "seconds") if timestamp else "-"


def describe(entry: dict[str, Any]) -> str:
    """Return a failed entry as one line: id, handler, queue, attempts, failed_at, error."""
    error = " ".join(str(entry.get("error", "")).split())  # a multi-line message on one line
    when = format_time(entry.get("failed_at"))
    if "id" not in entry:
        reason = error.removeprefix("Malformed job: ")
        return f"(malformed)  {when}  {reason}  raw: {reprlib.repr(entry.get('raw'))}"
    return (
        f"{entry['id']}  {entry.get('handler')}  queue={entry.get('queue')}  "
        f"attempts={entry.get('attempts')}  {when}  {error}"
    )


def of_handler(entries: list[dict[str, Any]], handler: str | None) -> list[dict[str, Any]]:
    """Return the entries of handler's jobs, or all entries if handler is None."""
    return [entry for entry in entries if handler is None or entry.get("handler") == handler]


def plural(count: int) -> str:
    """Return '1 job' or 'N jobs'."""
    return f"{count} job" if count == 1 else f"{count} jobs"


@jobs_cli.command("failed")
@handler_option
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
def failed_command(handler: str | None, as_json: bool) -> None:
    """List the failed jobs, oldest first."""
    entries = of_handler(current_queue().failed(), handler)
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    for entry in entries:
        click.echo(describe(entry))
    if not entries:
        click.echo("No failed jobs.")


@jobs_cli.command("show")
@click.argument("job_id")
def show_command(job_id: str) -> None:
    """Show one failed job's entry, state and attempt history."""
    queue = current_queue()
    entry = queue.failed_job(job_id)
    click.echo(json.dumps(entry, indent=2))
    (state,) = queue.states([(str(entry.get("queue", "")), job_id)])
    if state is None:
        return
    click.echo(f"state: {state.state}, attempts: {state.attempts}, recoveries: {state.recoveries}")
    for record in state.history:
        when = format_time(record["finished_at"])
        click.echo(
            f"  attempt {record['attempt']}: {record['outcome']} at {when} "
            f"on {record['worker']}: {record['error'] or '-'}"
        )


@jobs_cli.command("retry")
@click.argument("job_id", required=False)
@click.option("--all", "retry_all", is_flag=True, help="Retry every failed job.")
@handler_option
def retry_command(job_id: str | None, retry_all: bool, handler: str | None) -> None:
    """Queue failed jobs again: one by ID, or --all."""
    if retry_all == (job_id is not None) or (handler and not retry_all):
        raise click.UsageError("Give a job ID, or --all [--handler NAME].")
    queue = current_queue()
    if job_id is None:
        click.echo(f"Queued {plural(queue.retry_all_failed(handler))} again.")
        return
    queue.retry_failed(job_id)
    click.echo(f"Queued 1 job again: {job_id}.")


@jobs_cli.command("delete")
@click.argument("job_id")
def delete_command(job_id: str) -> None:
    """Delete one failed job and its state."""
    current_queue().delete_failed(job_id)
    click.echo(f"Deleted failed job {job_id}.")


@jobs_cli.command("purge")
@handler_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_command(handler: str | None, yes: bool) -> None:
    """Delete every failed entry, or one handler's."""
    queue = current_queue()
    count = len(of_handler(queue.failed(), handler))
    if not count:
        click.echo("No failed jobs to purge.")
        return
    if not yes:
        click.confirm(f"Delete {plural(count)} from the failed queue?", abort=True)
    click.echo(f"Purged {plural(queue.purge_failed(handler))}.")


def init_app(app: Flask) -> None:
    """Give app the `jobs` command group."""
    app.cli.add_command(jobs_cli)
