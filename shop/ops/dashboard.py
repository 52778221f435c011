"""The queue dashboard at /dashboard: depths, throughput, workers, delayed and failed jobs."""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from jobs import JobNotFound
from jobs.snapshot import LIST_LIMIT
from shop.extensions import current_queue
from shop.ops.dashboard_auth import require_dashboard_access
from shop.ops.throughput_chart import chart_bars
from shop.orders.services import SHOP_QUEUES

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
bp.before_request(require_dashboard_access)

SHOWN = 50  # delayed and failed jobs listed on the page; the counts cover them all


def render_dashboard(template: str) -> str:
    """Render the dashboard, or its live part, from a fresh snapshot of the queue."""
    snapshot = current_queue().snapshot(SHOP_QUEUES)
    return render_template(
        template, snapshot=snapshot, bars=chart_bars(snapshot.throughput), now=time.time(),
        shown=SHOWN, stale_seconds=current_app.config["JOBS_RECOVERY_TIMEOUT"],
        list_limit=LIST_LIMIT,
    )


@bp.get("")
def show() -> ResponseReturnValue:
    """Show the dashboard; its live part refreshes itself (see /dashboard/live)."""
    return render_dashboard("dashboard.html")


@bp.get("/live")
def live() -> ResponseReturnValue:
    """Return the dashboard's live part as HTML in JSON, for the page to swap in."""
    return {"html": render_dashboard("_dashboard_live.html"), "final": False}


@bp.post("/failed/<job_id>/retry")
def retry(job_id: str) -> ResponseReturnValue:
    """Queue one failed job again, its attempts reset."""
    try:
        current_queue().retry_failed(job_id)
        flash(f"Queued {job_id} again.", "info")
    except JobNotFound:
        flash(f"{job_id} is no longer in the failed list.", "error")
    return redirect(url_for(".show"), 303)


@bp.post("/failed/<job_id>/delete")
def delete(job_id: str) -> ResponseReturnValue:
    """Drop one failed job and its state."""
    try:
        current_queue().delete_failed(job_id)
        flash(f"Deleted {job_id}.", "info")
    except JobNotFound:
        flash(f"{job_id} is no longer in the failed list.", "error")
    return redirect(url_for(".show"), 303)


@bp.post("/failed/retry-all")
def retry_all() -> ResponseReturnValue:
    """Queue every failed job again (data that is not a job stays)."""
    flash(f"Queued {current_queue().retry_all_failed()} failed jobs again.", "info")
    return redirect(url_for(".show"), 303)


@bp.post("/failed/delete-all")
def delete_all() -> ResponseReturnValue:
    """Drop every failed entry."""
    flash(f"Deleted {current_queue().purge_failed()} failed entries.", "info")
    return redirect(url_for(".show"), 303)
