"""What the order page shows: the order, its jobs' live states, its status, its report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from jobs import JobQueue, JobState
from shop.handlers.reports import latest_report_id
from shop.models import Order, OrderJob

# The JobState fields the order page shows, in order.
STATE_FIELDS = ("state", "attempts", "error", "enqueued_at", "started_at", "finished_at", "due_at")


@dataclass(frozen=True)
class TrackedJob:
    """A job recorded for an order, with its state from the queue (None if Redis has none)."""

    job: OrderJob
    state: JobState | None

    def to_dict(self) -> dict[str, Any]:
        """Return the job as the order page's JSON shows it.

        Its state is Redis's; without one, "unqueued" while the job waits in the outbox to be
        pushed, else "unknown" (Redis forgot the job, or could not be asked).
        """
        if self.state is not None:
            known = self.state.to_dict()
        else:
            known = {"state": "unqueued" if self.job.pushed_at is None else "unknown"}
        return {
            "id": self.job.job_id,
            "type": self.job.type,
            "queue": self.job.queue,
            **{name: known.get(name) for name in STATE_FIELDS},
        }


@dataclass(frozen=True)
class OrderSummary:
    """An order as its page shows it."""

    order: Order
    jobs: list[TrackedJob]
    status: str
    report_id: int | None

    def to_dict(self) -> dict[str, Any]:
        """Return the order page's JSON body."""
        order = self.order
        return {
            "order_id": order.id,
            "public_id": order.public_id,
            "email": order.email,
            "status": self.status,
            "total_cents": order.total_cents,
            "created_at": order.created_at.isoformat(),
            "confirmation_sent": order.confirmation_sent_at is not None,
            "confirmation_sent_at": isoformat_or_none(order.confirmation_sent_at),
            "items": [
                {
                    "sku": item.sku,
                    "name": item.product.name,
                    "quantity": item.quantity,
                    "unit_price_cents": item.unit_price_cents,
                    "line_total_cents": item.line_total_cents,
                }
                for item in order.items
            ],
            "report_id": self.report_id,
            "jobs": [job.to_dict() for job in self.jobs],
        }


def isoformat_or_none(moment: datetime | None) -> str | None:
    """Return moment in ISO 8601, or None."""
    return moment.isoformat() if moment is not None else None


def order_status(order: Order, jobs: Sequence[TrackedJob]) -> str:
    """Return the stored status, or payment_failed once the queue gave up on the payment.

    ProcessPayment cannot know which attempt is the last (the worker decides that), so
    payment_failed is derived here from the process_payment job's `failed` state rather
    than stored by the handler.
    """
    payment_failed = any(
        tracked.job.type == "process_payment"
        and tracked.state is not None
        and tracked.state.state == "failed"
        for tracked in jobs
    ) or any(  # the demo's synchronous checkout ran it inside the request
        run["type"] == "process_payment" and run["error"] for run in order.inline_jobs or []
    )
    return "payment_failed" if order.status == "pending" and payment_failed else order.status


def job_states(queue: JobQueue, jobs: list[tuple[str, str]]) -> list[JobState | None]:
    """Return each job's state from Redis, given as (queue, job id); all None if Redis
    cannot be reached."""
    if not jobs:
        return []
    try:
        return queue.states(jobs)
    except RedisError:  # the page still shows the order, and says what it knows of its jobs
        return [None] * len(jobs)


def summarize_order(session: Session, queue: JobQueue, order_id: int) -> OrderSummary | None:
    """Return what the order page shows for order_id, or None if there is no such order."""
    order = session.get(Order, order_id)
    if order is None:
        return None
    states = job_states(queue, [(job.queue, job.job_id) for job in order.jobs])
    jobs = [TrackedJob(job, state) for job, state in zip(order.jobs, states, strict=True)]
    return OrderSummary(order, jobs, order_status(order, jobs), latest_report_id(session, order_id))
