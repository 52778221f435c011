"""The order page's timeline: spans on one axis from the request's arrival."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobs import JobState
from shop.models import Order, OrderJob
from shop.web.job_spans import job_spans
from shop.web.summary import OrderSummary, TrackedJob
from shop.web.timeline import build_timeline
from shop.web.timeline_axis import Axis, format_seconds, short_worker

ZERO = 1_800_000_000.0  # the request arrived: 0 on the axis
WORKER = "host:4242:abc123"


def state(name: str, history: tuple[dict[str, Any], ...] = (), **fields: Any) -> JobState:
    values: dict[str, Any] = {
        "id": "order-1-process_payment", "handler": "process_payment", "queue": "payments",
        "state": name, "attempts": len(history), "error": None, "enqueued_at": ZERO + 0.01,
        "started_at": None, "finished_at": None, "due_at": None, "history": history,
    }
    return JobState(**(values | fields))


def attempt(
    n: int, start: float, end: float, outcome: str, error: str | None = None
) -> dict[str, Any]:
    return {"attempt": n, "worker": WORKER, "started_at": ZERO + start,
            "finished_at": ZERO + end, "outcome": outcome, "error": error}


def kinds(spans: list[Any]) -> list[tuple[str, float, float]]:
    return [(span.kind, round(span.start, 3), round(span.end, 3)) for span in spans]


def test_a_retried_job_shows_queued_attempts_and_the_backoff_between() -> None:
    history = (attempt(1, 0.1, 0.6, "failed", "PaymentDeclined: no"),
               attempt(2, 2.6, 3.1, "succeeded"))

    spans = job_spans(state("succeeded", history), ZERO + 0.02, ZERO, ZERO + 9)

    assert kinds(spans) == [("queued", 0.02, 0.1), ("failed", 0.1, 0.6),
                            ("backoff", 0.6, 2.6), ("succeeded", 2.6, 3.1)]
    assert spans[1].error == "PaymentDeclined: no"
    assert spans[1].label == "pid 4242 · 500 ms"


def test_a_job_retried_by_hand_shows_its_time_in_the_failed_list() -> None:
    history = (attempt(1, 0.1, 0.2, "failed", "boom"), attempt(2, 5.2, 5.3, "succeeded"))
    retried = state("succeeded", history, enqueued_at=ZERO + 5.0)

    spans = job_spans(retried, ZERO, ZERO, ZERO + 9)

    assert [kind for kind, _, _ in kinds(spans)] == [
        "queued", "failed", "failed-list", "queued", "succeeded"]
    assert kinds(spans)[2] == ("failed-list", 0.2, 5.0)


def test_a_running_attempt_grows_until_now_and_a_retry_waits_until_due() -> None:
    running = state("running", started_at=ZERO + 1.0, worker=WORKER)
    retrying = state("retrying", (attempt(1, 0.1, 0.5, "failed"),), due_at=ZERO + 4.0)

    assert kinds(job_spans(running, ZERO, ZERO, ZERO + 3))[-1] == ("running", 1.0, 3.0)
    assert kinds(job_spans(retrying, ZERO, ZERO, ZERO + 1))[-1] == ("backoff", 0.5, 4.0)


def test_the_timeline_leads_with_the_response_and_is_done_when_every_job_is() -> None:
    arrived = datetime.fromtimestamp(ZERO, UTC)
    order = Order(id=1, email="a@example.com", status="paid", total_cents=1, created_at=arrived,
                  request_started_at=arrived, responded_at=arrived + timedelta(seconds=0.02))
    job = OrderJob(job_id="order-1-process_payment", type="process_payment", queue="payments",
                   pushed_at=arrived + timedelta(seconds=0.01))
    done = state("succeeded", (attempt(1, 0.1, 1.6, "succeeded"),))

    timeline = build_timeline(OrderSummary(order, [TrackedJob(job, done)], "paid", None), ZERO + 5)

    assert timeline.response_seconds == pytest.approx(0.02)
    assert timeline.done_seconds == pytest.approx(1.6)
    assert [row.title for row in timeline.rows] == ["POST /orders", "process_payment"]
    assert timeline.rows[0].summary == "answered in 20 ms"
    assert timeline.axis.length_seconds == pytest.approx(1.68)


def test_the_axis_places_moments_and_picks_round_ticks() -> None:
    axis = Axis(2.0)

    assert (axis.at(0.5), axis.at(5)) == (25.0, 100.0)
    assert axis.width(0.0, 0.001) == 0.6  # a 1 ms request is still visible
    assert [label for _, label in axis.ticks()] == ["0", "250 ms", "500 ms", "750 ms", "1 s",
                                                    "1.25 s", "1.5 s", "1.75 s", "2 s"]


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0"), (0.0143, "14 ms"), (1.5, "1.5 s"), (12.4, "12 s"), (125, "2 min 5 s"), (120, "2 min"),
])
def test_durations_read_as_people_say_them(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_a_worker_is_named_by_its_pid() -> None:
    assert short_worker("web-1.example:4242:a1b2c3") == "pid 4242"
    assert short_worker(None) == "?"
