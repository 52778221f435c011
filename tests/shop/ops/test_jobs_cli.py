"""The `flask jobs` commands over a real Redis, the failed entries made by a real worker."""

from __future__ import annotations

import json

import pytest
import redis as redis_py
from flask import Flask
from flask.testing import FlaskCliRunner

from jobs import JobQueue, Keys
from tests.shop.support import run_worker


@pytest.fixture
def queue(app: Flask) -> JobQueue:
    """The app's job queue."""
    job_queue: JobQueue = app.extensions["queue"]
    return job_queue


@pytest.fixture
def failed(app: Flask, queue: JobQueue, redis: redis_py.Redis, prefix: str) -> dict[str, str]:
    """Two jobs of an unknown handler, a payment for a missing order and a poison message,
    all moved to the failed list by a worker; returns the job ids by name."""
    ids = {
        "unknown_1": queue.dispatch("reports", "no_such_handler", {"n": 1}),
        "unknown_2": queue.dispatch("reports", "no_such_handler", {"n": 2}),
        "payment": queue.dispatch("payments", "process_payment", {"order_id": 999}),
    }
    redis.rpush(Keys(prefix).queue("emails"), "not json")
    counts = run_worker(app)
    assert counts["failed"] == 4, counts
    return ids


def failed_ids(queue: JobQueue) -> list[str | None]:
    """The ids in the failed list, oldest first; None for a malformed entry."""
    return [entry.get("id") for entry in queue.failed()]


def test_failed_lists_each_entry_on_one_line(
    runner: FlaskCliRunner, failed: dict[str, str]
) -> None:
    result = runner.invoke(args=["jobs", "failed"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 4
    unknown = next(line for line in lines if line.startswith(failed["unknown_1"]))
    assert "no_such_handler  queue=reports  attempts=1" in unknown
    assert unknown.endswith("Unknown handler: no_such_handler")
    payment = next(line for line in lines if line.startswith(failed["payment"]))
    assert payment.endswith("OrderNotFound: order 999 does not exist")
    malformed = next(line for line in lines if line.startswith("(malformed)"))
    assert "not JSON" in malformed and "raw: 'not json'" in malformed


def test_failed_filters_by_handler_and_prints_json(
    runner: FlaskCliRunner, failed: dict[str, str]
) -> None:
    result = runner.invoke(args=["jobs", "failed", "--handler", "process_payment", "--json"])

    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.output)
    assert entry["id"] == failed["payment"]
    assert entry["payload"] == {"order_id": 999}
    assert entry["error"] == "OrderNotFound: order 999 does not exist"


def test_failed_says_so_when_there_are_none(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["jobs", "failed"])

    assert (result.exit_code, result.output) == (0, "No failed jobs.\n")


def test_show_prints_the_entry_its_state_and_attempt_history(
    runner: FlaskCliRunner, failed: dict[str, str]
) -> None:
    result = runner.invoke(args=["jobs", "show", failed["payment"]])

    assert result.exit_code == 0, result.output
    entry, end = json.JSONDecoder().raw_decode(result.output)
    assert (entry["id"], entry["handler"], entry["queue"]) == (
        failed["payment"],
        "process_payment",
        "payments",
    )
    state, attempt = result.output[end:].strip().splitlines()
    assert state == "state: failed, attempts: 1, recoveries: 0"
    assert attempt.startswith("  attempt 1: failed at ")
    assert attempt.endswith(": OrderNotFound: order 999 does not exist")


def test_retry_queues_one_job_again_with_its_attempts_reset(
    runner: FlaskCliRunner, app: Flask, queue: JobQueue, failed: dict[str, str]
) -> None:
    # Given a failed job; when it is retried
    result = runner.invoke(args=["jobs", "retry", failed["unknown_1"]])

    # Then it waits on its queue again, attempts at 0, and a worker takes it
    assert result.exit_code == 0, result.output
    assert result.output == f"Queued 1 job again: {failed['unknown_1']}.\n"
    assert failed["unknown_1"] not in failed_ids(queue)
    (state,) = queue.states([("reports", failed["unknown_1"])])
    assert state is not None and (state.state, state.attempts) == ("queued", 0)
    assert run_worker(app)["failed"] == 1
    assert failed["unknown_1"] in failed_ids(queue)


def test_retry_all_of_one_handler_then_all_leaves_only_malformed_entries(
    runner: FlaskCliRunner, queue: JobQueue, failed: dict[str, str]
) -> None:
    by_handler = runner.invoke(args=["jobs", "retry", "--all", "--handler", "no_such_handler"])
    remaining = failed_ids(queue)
    every = runner.invoke(args=["jobs", "retry", "--all"])

    assert by_handler.output == "Queued 2 jobs again.\n"
    assert sorted(remaining, key=str) == sorted([failed["payment"], None], key=str)
    assert every.output == "Queued 1 job again.\n"
    assert failed_ids(queue) == [None]  # a malformed entry is no job: it cannot be queued


@pytest.mark.parametrize(
    "args", [["retry"], ["retry", "some-id", "--all"], ["retry", "some-id", "--handler", "x"]]
)
def test_retry_needs_either_an_id_or_all(runner: FlaskCliRunner, args: list[str]) -> None:
    result = runner.invoke(args=["jobs", *args])

    assert result.exit_code == 2
    assert "Give a job ID, or --all [--handler NAME]." in result.stderr


@pytest.mark.parametrize("command", ["show", "retry", "delete"])
def test_an_unknown_id_is_an_error_on_stderr(
    runner: FlaskCliRunner, failed: dict[str, str], command: str
) -> None:
    result = runner.invoke(args=["jobs", command, "nope"])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: No failed job with id nope\n"


def test_delete_drops_one_entry_and_its_state(
    runner: FlaskCliRunner, queue: JobQueue, failed: dict[str, str]
) -> None:
    result = runner.invoke(args=["jobs", "delete", failed["payment"]])

    assert result.output == f"Deleted failed job {failed['payment']}.\n"
    assert failed["payment"] not in failed_ids(queue) and len(failed_ids(queue)) == 3
    assert queue.states([("payments", failed["payment"])]) == [None]


def test_purge_asks_first_and_keeps_everything_when_declined(
    runner: FlaskCliRunner, queue: JobQueue, failed: dict[str, str]
) -> None:
    result = runner.invoke(args=["jobs", "purge"], input="n\n")

    assert result.exit_code == 1
    assert "Delete 4 jobs from the failed queue? [y/N]" in result.output
    assert len(failed_ids(queue)) == 4


def test_purge_of_one_handler_keeps_the_others(
    runner: FlaskCliRunner, queue: JobQueue, failed: dict[str, str]
) -> None:
    result = runner.invoke(args=["jobs", "purge", "--handler", "no_such_handler"], input="y\n")

    assert result.exit_code == 0, result.output
    assert result.output.endswith("Purged 2 jobs.\n")
    assert sorted(failed_ids(queue), key=str) == sorted([failed["payment"], None], key=str)


def test_purge_yes_deletes_every_entry_malformed_ones_too(
    runner: FlaskCliRunner,
    queue: JobQueue,
    redis: redis_py.Redis,
    prefix: str,
    failed: dict[str, str],
) -> None:
    result = runner.invoke(args=["jobs", "purge", "--yes"])
    again = runner.invoke(args=["jobs", "purge", "--yes"])

    assert result.output == "Purged 4 jobs.\n"
    assert queue.failed() == []
    queues = {"unknown_1": "reports", "unknown_2": "reports", "payment": "payments"}
    hashes = [Keys(prefix).job(queues[name], job_id) for name, job_id in failed.items()]
    assert redis.exists(*hashes) == 0
    assert again.output == "No failed jobs to purge.\n"
