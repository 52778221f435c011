"""One job's spans on the timeline: queued, each attempt, the backoff before each retry.

Attempts are taken from the job's history in the order they started: a job retried from
the failed list starts counting attempts at 1 again, so numbers alone would misplace them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobs import JobState
from shop.web.timeline_axis import format_seconds, short_worker

# What the wait before an attempt is called, after an attempt with this outcome.
WAIT_AFTER = {None: "queued", "failed": "backoff", "succeeded": "queued"}


@dataclass(frozen=True)
class Span:
    """A stretch of time on the axis, in seconds since the request arrived."""

    kind: str  # request, queued, backoff, failed-list, running, succeeded, failed
    start: float
    end: float
    label: str  # the few words on the bar
    detail: str  # the whole story, for the tooltip and screen readers
    worker: str | None = None
    error: str | None = None

    @property
    def duration(self) -> str:
        """The span's length as text: the label of a bar too short for the whole label."""
        return format_seconds(self.end - self.start)


def wait_span(kind: str, start: float, end: float) -> Span:
    """A wait: on a queue, in the backoff before a retry, or in the failed list."""
    names = {"queued": "waiting on its queue", "backoff": "backing off before the retry",
             "failed-list": "in the failed list until retried by hand"}
    took = format_seconds(end - start)
    return Span(kind, start, end, took, f"{names[kind]} for {took}")


def attempt_span(record: dict[str, Any], zero: float) -> Span:
    """One finished attempt: who ran it, how long, how it ended."""
    start, end = record["started_at"] - zero, record["finished_at"] - zero
    worker, outcome, error = record.get("worker"), record.get("outcome", "?"), record.get("error")
    took = format_seconds(end - start)
    detail = f"attempt {record['attempt']} on worker {worker}: {outcome} after {took}"
    detail += f": {error}" if error else ""
    return Span(outcome, start, end, f"{short_worker(worker)} · {took}", detail, worker, error)


def job_spans(state: JobState, pushed: float | None, zero: float, now: float) -> list[Span]:
    """Lay out the waits and attempts of one job so far."""
    spans: list[Span] = []
    cursor = (pushed or state.enqueued_at or zero) - zero
    outcome: str | None = None
    for record in sorted(state.history, key=lambda record: record["started_at"]):
        start = record["started_at"] - zero
        retried_at = (state.enqueued_at or 0) - zero
        if outcome == "failed" and cursor < retried_at <= start:  # retried from the failed list
            spans += [wait_span("failed-list", cursor, retried_at)]
            cursor, outcome = retried_at, None
        spans.append(wait_span(WAIT_AFTER.get(outcome, "queued"), cursor, start))
        spans.append(attempt_span(record, zero))
        cursor, outcome = spans[-1].end, record.get("outcome")
    return spans + current_spans(state, cursor, outcome, zero, now)


def current_spans(
    state: JobState, cursor: float, outcome: str | None, zero: float, now: float
) -> list[Span]:
    """What the job is doing now, after its finished attempts."""
    elapsed = now - zero
    if state.state == "running" and state.started_at and state.started_at - zero >= cursor:
        start = state.started_at - zero
        took = format_seconds(elapsed - start)
        running = Span("running", start, elapsed, f"{short_worker(state.worker)} · {took}…",
                       f"attempt {state.attempts} running on worker {state.worker}",
                       state.worker)
        return [wait_span(WAIT_AFTER.get(outcome, "queued"), cursor, start), running]
    if state.state in ("retrying", "delayed") and state.due_at:
        return [wait_span("backoff", cursor, max(state.due_at - zero, cursor))]
    if state.state == "queued":
        retried_at = (state.enqueued_at or 0) - zero
        if outcome == "failed" and cursor < retried_at:  # retried from the failed list
            return [wait_span("failed-list", cursor, retried_at),
                    wait_span("queued", retried_at, max(elapsed, retried_at))]
        return [wait_span(WAIT_AFTER.get(outcome, "queued"), cursor, max(elapsed, cursor))]
    # succeeded or failed: nothing more. (A failed job waits in the failed list for good;
    # drawn up to now, it would squeeze the rest of the axis more at every reload.)
    return []


def inline_spans(run: dict[str, Any], zero: float) -> list[Span]:
    """The one span of a handler run inside the synchronous request."""
    start, end = float(run["started_at"]) - zero, float(run["finished_at"]) - zero
    outcome = "failed" if run.get("error") else "succeeded"
    took = format_seconds(end - start)
    detail = f"ran inside the request: {outcome} after {took}"
    detail += f": {run['error']}" if run.get("error") else ""
    return [Span(outcome, start, end, took, detail, None, run.get("error"))]
