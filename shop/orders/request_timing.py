"""When POST /orders arrived and when it was answered, kept on the order for its timeline.

The arrival is written with the order itself, by its INSERT. The answer is stamped in the
request's last commit, just before the response goes out (its bytes follow within a
millisecond); for a queued order that is the commit of the jobs' pushed_at, after the
push, so on the timeline every job is queued before the answer, as it was. Stamping it
once the last byte is out would cost every order a transaction of its own, and hold a
gunicorn worker after its answer.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g

from shop.models import Order, utc_now


def start_clock() -> None:
    """Note when the request arrived (a before_request hook)."""
    g.request_started_at = utc_now()


def arrived_at() -> datetime:
    """When this request arrived, for the order it places (now, outside a timed blueprint)."""
    arrived: datetime | None = g.get("request_started_at")
    return arrived or utc_now()


def stamp_answer_later(order: Order) -> None:
    """Remember the request's new order, for stamp_answer to set its answer's time."""
    g.answered_order = order


def stamp_answer() -> None:
    """Set responded_at of the order this request placed, if any, to now; the caller commits."""
    order: Order | None = g.get("answered_order")
    if order is not None:
        order.responded_at = utc_now()


def time_requests(bp: Blueprint) -> None:
    """Note the arrival of every request of bp, for the orders it places."""
    bp.before_request(start_clock)
