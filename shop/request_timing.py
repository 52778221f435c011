"""When POST /orders arrived and when its answer was sent, kept on the order for its timeline.

The arrival is stamped in the order's own transaction. The moment the answer has been sent
is only known after the view has returned, so it is written by a callback the WSGI server
runs once the last byte is out (Response.call_on_close): that write costs the customer
nothing, and the order page shows "answering" for the few milliseconds before it lands.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from shop.db import Database, current_database
from shop.models import Order, utc_now

logger = logging.getLogger(__name__)


def start_clock() -> None:
    """Note when the request arrived (a before_request hook)."""
    g.request_started_at = utc_now()


def stamp(order: Order) -> None:
    """Give a new order its request's arrival time; its answer's time is recorded later."""
    order.request_started_at = g.get("request_started_at") or utc_now()
    g.timed_order_id = order.id


def record_when_sent(response: Response) -> Response:
    """After a request that placed an order, record when its answer has been sent."""
    order_id: int | None = g.get("timed_order_id")
    if order_id is not None:
        database = current_database()
        response.call_on_close(lambda: record_responded_at(database, order_id))
    return response


def record_responded_at(database: Database, order_id: int) -> None:
    """Set the order's responded_at to now, unless set already; a failure is only logged."""
    try:
        with database.sessions.begin() as session:
            session.execute(
                update(Order)
                .where(Order.id == order_id, Order.responded_at.is_(None))
                .values(responded_at=utc_now())
            )
    except SQLAlchemyError as error:  # the order is placed; only its timeline loses a bar
        logger.warning("order %s: could not record when it was answered: %s", order_id, error)


def time_requests(bp: Blueprint) -> None:
    """Time every request of bp that places an order."""
    bp.before_request(start_clock)
    bp.after_request(record_when_sent)
