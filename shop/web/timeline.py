"""The order page's timeline: the request, then each job's waits and attempts, on one axis.

Times come from the order (request_started_at, responded_at, and the outbox row's
pushed_at) and from each job's state in Redis: its attempt history (worker, start, end,
outcome, error), and for the attempt in flight its start, or its retry's due time. Zero on
the axis is the moment the request arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shop.web.job_spans import Span, inline_spans, job_spans
from shop.web.summary import OrderSummary, TrackedJob
from shop.web.timeline_axis import Axis, axis_for, format_seconds


@dataclass(frozen=True)
class Row:
    """One line of the timeline: a title, a one-line summary, its spans."""

    title: str
    summary: str
    spans: list[Span]
    state: str


@dataclass(frozen=True)
class Timeline:
    """The rows on one axis, and the two numbers the page leads with."""

    rows: list[Row]
    axis: Axis
    response_seconds: float | None  # None while the answer is being sent
    done_seconds: float | None  # when the last job finished; None until all have
    notes: list[str] = field(default_factory=list)


def build_timeline(summary: OrderSummary, now: float) -> Timeline:
    """Lay out the request and the order's jobs on one axis starting when the request arrived."""
    order = summary.order
    zero = (order.request_started_at or order.created_at).timestamp()
    responded = order.responded_at.timestamp() - zero if order.responded_at else None
    rows = [request_row(responded, now - zero, order.inline_jobs is not None)]
    if order.inline_jobs is not None:
        rows += [inline_row(run, zero) for run in order.inline_jobs]
    else:
        rows += [job_row(tracked, zero, now) for tracked in summary.jobs]
    ends = [span.end for row in rows for span in row.spans]
    done = None
    if all(row.state in ("succeeded", "failed", "answered") for row in rows):
        done = max(ends, default=0.0)
    notes = [f"{tracked.job.type}: {tracked.state.recoveries} recovery after its worker died"
             for tracked in summary.jobs if tracked.state and tracked.state.recoveries]
    return Timeline(rows, axis_for(max(ends, default=0.0)), responded, done, notes)


def request_row(responded: float | None, elapsed: float, synchronous: bool) -> Row:
    """The row of POST /orders: from arrival until its answer had been sent."""
    kind = "POST /orders/sync" if synchronous else "POST /orders"
    if responded is None:
        span = Span("request", 0.0, elapsed, "answering…", "the request is being answered")
        return Row(kind, "answering…", [span], "running")
    label = format_seconds(responded)
    detail = f"the request was answered {label} after it arrived"
    return Row(kind, f"answered in {label}", [Span("request", 0.0, responded, label, detail)],
               "answered")


def job_row(tracked: TrackedJob, zero: float, now: float) -> Row:
    """The row of one queued job."""
    state = tracked.state
    if state is None:
        name = "waiting in the outbox" if tracked.job.pushed_at is None else "unknown"
        return Row(tracked.job.type, f"{tracked.job.queue} · {name}", [], name)
    attempts = f"{state.attempts} attempt{'s' if state.attempts != 1 else ''}"
    summary = f"{state.queue or tracked.job.queue} · {state.state} · {attempts}"
    pushed = tracked.job.pushed_at.timestamp() if tracked.job.pushed_at else None
    return Row(tracked.job.type, summary, job_spans(state, pushed, zero, now), state.state)


def inline_row(run: dict[str, Any], zero: float) -> Row:
    """The row of a handler the synchronous checkout ran inside the request."""
    outcome = "failed" if run.get("error") else "succeeded"
    spans = inline_spans(run, zero)
    took = format_seconds(spans[0].end - spans[0].start) if spans else "?"
    return Row(str(run.get("type")), f"inside the request · {outcome} · {took}", spans, outcome)
