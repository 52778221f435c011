"""The demo controls: payment latency and failure rate, and the fault panel (demo mode only)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError

from jobs import Keys
from shop.demo.faults import FaultRefused, drop_connections, kill_worker_mid_job
from shop.demo.faults import push_malformed as push_malformed_message
from shop.demo.mode import back_to_page
from shop.demo.panel import recent_invariant
from shop.demo.settings import parse_payment_form, write_payment_settings
from shop.extensions import client_name, current_queue, current_redis
from shop.web.timeline_axis import format_seconds

bp = Blueprint("controls", __name__, url_prefix="/demo")

MALFORMED_QUEUE = "payments"


def keys() -> Keys:
    """Return the app's key names (with hash tags on a Redis Cluster)."""
    return current_queue().keys


@bp.errorhandler(RedisError)
def redis_down(error: RedisError) -> ResponseReturnValue:
    """Say so when Redis cannot be reached, on the page the form came from."""
    flash(f"Redis did not answer: {error}", "error")
    return redirect(back_to_page(), 303)


@bp.get("/invariant")
def invariant() -> ResponseReturnValue:
    """Return the invariant check of the recent jobs as HTML in JSON, for the panel to swap in."""
    html = render_template("_invariant.html", check=recent_invariant())
    return {"html": html, "final": False}


@bp.post("/payment")
def set_payment() -> ResponseReturnValue:
    """Change the gateway's latency and failure rate for every worker's next charge."""
    try:
        settings = parse_payment_form(request.form)
    except ValueError as error:
        flash(f"Payment settings not changed: {error}", "error")
        return redirect(back_to_page(), 303)
    write_payment_settings(current_redis(), keys().prefix, settings)
    flash(f"Payments now take {format_seconds(settings.latency_seconds)} and "
          f"{settings.failure_rate:.0%} of them are declined.", "info")
    return redirect(back_to_page(), 303)


@bp.post("/faults/kill-worker")
def kill_worker() -> ResponseReturnValue:
    """SIGKILL a worker that is running a job; the reaper gives the job to another."""
    recovery = float(current_app.config["JOBS_RECOVERY_TIMEOUT"])
    try:
        victim = kill_worker_mid_job(current_queue(), fresh_seconds=recovery)
    except FaultRefused as refused:
        flash(str(refused), "error")
        return redirect(back_to_page(), 303)
    flash(f"Killed worker {victim.worker_id} (kill -9 {victim.pid}) while it ran "
          f"{victim.job_id}. Another worker gives the job back to its queue within about "
          f"{format_seconds(recovery * 1.5)}, when the dead worker's heartbeat is stale.", "info")
    return redirect(back_to_page(), 303)


@bp.post("/faults/malformed")
def push_malformed() -> ResponseReturnValue:
    """Push data that is not a job; a worker moves it to the failed list as it came."""
    message = push_malformed_message(current_redis(), keys(), MALFORMED_QUEUE)
    flash(f"Pushed {message!r} onto the {MALFORMED_QUEUE} queue: a worker will move it to "
          "the failed list, with the reason, and carry on.", "info")
    return redirect(back_to_page(), 303)


@bp.post("/faults/reconnect")
def reconnect() -> ResponseReturnValue:
    """Have Redis close every connection of this shop's processes, as a network blip would."""
    prefix = keys().prefix
    names = [client_name(prefix, "worker"), client_name(prefix, "app")]
    dropped = drop_connections(current_redis(), names)
    flash(f"Redis closed {dropped} connections of this shop (web app, relay, workers). "
          "Each client reconnects and retries its command; a worker that sees the loss "
          "gives back the jobs it held.", "info")
    return redirect(back_to_page(), 303)
