"""The order page's summary: payment_failed is derived from the payment job's state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from jobs import JobState
from shop.models import Order, OrderJob
from shop.web.summary import TrackedJob, order_status


def tracked(job_type: str, state: str | None, pushed: bool = True) -> TrackedJob:
    """Return a job of job_type in the given queue state (None: Redis has none)."""
    pushed_at = datetime(2025, 3, 1, tzinfo=UTC) if pushed else None
    job = OrderJob(job_id=f"{job_type}-id", type=job_type, queue="q", pushed_at=pushed_at)
    if state is None:
        return TrackedJob(job, None)
    job_state = JobState(
        id=job.job_id, handler=job_type, queue="q", state=state, attempts=3, error="boom",
        enqueued_at=1.0, started_at=2.0, finished_at=3.0, due_at=None,
    )
    return TrackedJob(job, job_state)


@pytest.mark.parametrize(
    ("stored", "payment_state", "shown"),
    [
        ("pending", "queued", "pending"),
        ("pending", "retrying", "pending"),
        ("pending", "failed", "payment_failed"),
        ("pending", None, "pending"),
        ("paid", "failed", "paid"),
        ("paid", "succeeded", "paid"),
    ],
)
def test_status_is_payment_failed_only_once_the_queue_gave_up(
    stored: str, payment_state: str | None, shown: str
) -> None:
    jobs = [tracked("order_confirmation", "failed"), tracked("process_payment", payment_state)]

    assert order_status(Order(status=stored), jobs) == shown


def test_a_failed_email_does_not_fail_the_payment() -> None:
    jobs = [tracked("order_confirmation", "failed"), tracked("process_payment", "succeeded")]

    assert order_status(Order(status="pending"), jobs) == "pending"


def test_a_job_redis_forgot_reads_as_unknown() -> None:
    shown = tracked("generate_report", None).to_dict()

    assert shown == {
        "id": "generate_report-id", "type": "generate_report", "queue": "q", "state": "unknown",
        "attempts": None, "error": None, "enqueued_at": None, "started_at": None,
        "finished_at": None, "due_at": None,
    }


def test_a_job_not_pushed_yet_reads_as_unqueued() -> None:
    assert tracked("generate_report", None, pushed=False).to_dict()["state"] == "unqueued"


def test_a_job_redis_has_shows_its_state_even_if_its_push_was_not_marked() -> None:
    assert tracked("generate_report", "queued", pushed=False).to_dict()["state"] == "queued"
