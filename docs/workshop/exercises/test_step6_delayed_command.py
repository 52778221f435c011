"""Step 6's check: `flask --app shop jobs delayed` lists the delayed jobs with their due times."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner

from jobs import JobQueue


def test_jobs_delayed_lists_each_delayed_job_soonest_first(
    app: Flask, runner: FlaskCliRunner
) -> None:
    # Given no delayed job, then two, due in 60 s and in 30 s
    empty = runner.invoke(args=["jobs", "delayed"])
    assert empty.exit_code == 0, f"`jobs delayed` failed:\n{empty.output}"
    assert "No delayed jobs." in empty.output
    queue: JobQueue = app.extensions["queue"]
    later = queue.dispatch("emails", "order_confirmation", {"order_id": 1}, delay=60)
    sooner = queue.dispatch("payments", "process_payment", {"order_id": 2}, delay=30)

    # When they are listed
    listed = runner.invoke(args=["jobs", "delayed"])

    # Then each shows with its handler, queue and due time, the sooner first
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 2, listed.output
    assert lines[0].startswith(f"{sooner}  process_payment  queue=payments  due in ")
    assert lines[1].startswith(f"{later}  order_confirmation  queue=emails  due in ")
