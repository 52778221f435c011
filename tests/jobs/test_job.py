"""Job: its JSON form and what counts as malformed; JobState: a job's hash as read."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from jobs import Job, JobState, MalformedJob

FIELDS = {"id", "handler", "payload", "attempts", "created_at", "queue"}
VALID: dict[str, Any] = {
    "id": "ab" * 16,
    "handler": "send_email",
    "payload": {"order_id": 7},
    "attempts": 1,
    "created_at": 1700000000.5,
    "queue": "emails",
}


def with_fields(**changes: Any) -> str:
    """VALID as JSON, with fields changed; a value of ... drops the field."""
    data = {**VALID, **changes}
    return json.dumps({name: value for name, value in data.items() if value is not ...})


def test_a_new_job_has_a_random_128_bit_hex_id() -> None:
    first, second = Job("h", {}, "default"), Job("h", {}, "default")

    assert re.fullmatch(r"[0-9a-f]{32}", first.id)
    assert first.id != second.id


def test_a_new_job_starts_with_no_attempts() -> None:
    assert Job("h", {}, "default").attempts == 0


def test_json_carries_exactly_the_jobs_fields() -> None:
    job = Job("send_email", {"order_id": 7}, "emails")

    data = json.loads(job.to_json())

    assert set(data) == FIELDS
    assert data["handler"] == "send_email"
    assert data["payload"] == {"order_id": 7}
    assert data["queue"] == "emails"


def test_json_round_trip_gives_the_same_job() -> None:
    job = Job("send_email", {"order_id": 7, "to": ["a@example.com"]}, "emails", attempts=2)

    assert Job.from_json(job.to_json()) == job


def test_from_json_reads_every_field() -> None:
    assert Job.from_json(with_fields()) == Job(
        handler="send_email",
        payload={"order_id": 7},
        queue="emails",
        id="ab" * 16,
        attempts=1,
        created_at=1700000000.5,
    )


def case(raw: str, problem: str) -> Any:
    """One malformed input, and the words its error must contain."""
    return pytest.param(raw, problem, id=problem)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        case("not json", "not JSON"),
        case("", "not JSON"),
        case("[1, 2]", "not a JSON object"),
        case('"a string"', "not a JSON object"),
        case("null", "not a JSON object"),
        case(with_fields(id=...), "field 'id' missing"),
        case(with_fields(handler=...), "field 'handler' missing"),
        case(with_fields(payload=...), "field 'payload' missing"),
        case(with_fields(queue=...), "field 'queue' missing"),
        case(with_fields(id=42), "field 'id' missing or not a str"),
        case(with_fields(handler=None), "field 'handler' missing or not a str"),
        case(with_fields(payload=[1]), "field 'payload' missing or not a dict"),
        case(with_fields(queue={"name": "x"}), "field 'queue' missing or not a str"),
        case(with_fields(attempts="x"), "field 'attempts'"),
        case(with_fields(attempts=None), "field 'attempts'"),
        case(with_fields(attempts=-1), "field 'attempts'"),
        case(with_fields(attempts=True), "field 'attempts'"),
        case(with_fields(created_at="noon"), "field 'created_at'"),
        case(with_fields(queue="no such queue!"), "Invalid queue name 'no such queue!'"),
        case(with_fields(queue="failed"), "Invalid queue name 'failed'"),
    ],
)
def test_malformed_data_raises_malformed_job_naming_the_problem(raw: str, problem: str) -> None:
    with pytest.raises(MalformedJob, match=re.escape(problem)):
        Job.from_json(raw)


def test_attempts_and_created_at_default_when_absent() -> None:
    job = Job.from_json(with_fields(attempts=..., created_at=...))

    assert (job.attempts, job.created_at) == (0, 0.0)


def test_state_reads_every_field_of_the_hash() -> None:
    fields = {
        "state": "retrying",
        "handler": "pay",
        "queue": "payments",
        "attempts": "2",
        "error": "RuntimeError: declined",
        "enqueued_at": "100.5",
        "started_at": "101.0",
        "finished_at": "102.0",
        "due_at": "110.0",
    }

    state = JobState.from_hash("j1", fields, now=105.0)

    assert state == JobState(
        id="j1",
        handler="pay",
        queue="payments",
        state="retrying",
        attempts=2,
        error="RuntimeError: declined",
        enqueued_at=100.5,
        started_at=101.0,
        finished_at=102.0,
        due_at=110.0,
    )


@pytest.mark.parametrize("waiting", ["delayed", "retrying"])
def test_a_waiting_job_past_its_due_time_reads_as_queued(waiting: str) -> None:
    fields = {"state": waiting, "due_at": "100.0"}

    assert JobState.from_hash("j", fields, now=100.0).state == "queued"
    assert JobState.from_hash("j", fields, now=99.9).state == waiting


def test_a_running_job_reads_as_running_whatever_the_time() -> None:
    assert JobState.from_hash("j", {"state": "running"}, now=1e12).state == "running"


def test_missing_fields_read_as_empty() -> None:
    state = JobState.from_hash("j", {"error": ""}, now=0.0)

    assert (state.state, state.attempts, state.error, state.due_at) == ("queued", 0, None, None)


@pytest.mark.parametrize(
    ("name", "final"),
    [
        ("queued", False),
        ("delayed", False),
        ("running", False),
        ("retrying", False),
        ("succeeded", True),
        ("failed", True),
    ],
)
def test_only_succeeded_and_failed_are_final(name: str, final: bool) -> None:
    assert JobState.from_hash("j", {"state": name}, now=0.0).is_final is final


def record(outcome: str, error: str | None = None, worker: str = "w1", attempt: int = 1) -> str:
    """One attempt's record as the worker writes it into `run:<n>`."""
    return json.dumps(
        {
            "attempt": attempt,
            "worker": worker,
            "started_at": 1.0,
            "finished_at": 2.0,
            "outcome": outcome,
            "error": error,
        }
    )


def test_history_lists_the_attempt_records_by_run_number() -> None:
    # Given three runs, stored in a hash (whose fields come in no particular order); the
    # third is attempt 1 again, after a retry from the failed list
    fields = {
        "run:10": record("succeeded", attempt=1),
        "run:2": record("failed", "RuntimeError: again", worker="w2", attempt=2),
        "run:1": record("failed", "RuntimeError: first"),
        "runs": "10",
    }

    # When the state is read
    history = JobState.from_hash("j", fields, now=0.0).history

    # Then the records come oldest first (by number, not as strings), each with its number
    assert [entry["run"] for entry in history] == [1, 2, 10]
    assert [entry["attempt"] for entry in history] == [1, 2, 1]
    assert history[0] == {
        "run": 1,
        "attempt": 1,
        "worker": "w1",
        "started_at": 1.0,
        "finished_at": 2.0,
        "outcome": "failed",
        "error": "RuntimeError: first",
    }
    assert [entry["worker"] for entry in history] == ["w1", "w2", "w1"]
    assert [entry["outcome"] for entry in history] == ["failed", "failed", "succeeded"]


def test_an_empty_attempt_record_is_left_out_of_the_history() -> None:
    fields = {"run:1": "", "run:2": record("succeeded")}

    assert [e["run"] for e in JobState.from_hash("j", fields, 0.0).history] == [2]


def test_a_job_with_no_finished_attempt_has_no_history() -> None:
    assert JobState.from_hash("j", {"state": "queued"}, now=0.0).history == ()


def test_state_reads_the_worker_and_the_recoveries() -> None:
    fields = {"state": "running", "worker": "host:42:ab12", "recoveries": "2"}

    state = JobState.from_hash("j", fields, now=0.0)

    assert (state.worker, state.recoveries) == ("host:42:ab12", 2)


def test_a_job_never_taken_has_no_worker_and_no_recoveries() -> None:
    state = JobState.from_hash("j", {"state": "queued", "worker": ""}, now=0.0)

    assert (state.worker, state.recoveries) == (None, 0)


def test_to_dict_carries_the_history_for_json() -> None:
    fields = {"state": "succeeded", "run:1": record("succeeded")}

    data = JobState.from_hash("j", fields, now=0.0).to_dict()

    assert json.loads(json.dumps(data))["history"] == [
        {
            "run": 1,
            "attempt": 1,
            "worker": "w1",
            "started_at": 1.0,
            "finished_at": 2.0,
            "outcome": "succeeded",
            "error": None,
        }
    ]
