"""Order services: price and place an order, find it; plain functions taking a session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import Order, OrderItem, Product
from shop.orders.validation import OrderError, OrderLine

# Job type (the handler's registered name) -> the queue it is dispatched to.
JOB_QUEUES: dict[str, str] = {
    "order_confirmation": "emails",
    "process_payment": "payments",
    "generate_report": "reports",
}

# The queues `python worker.py` serves by default, polled in this order: payments first,
# so a backlog of emails or reports never delays taking the customer's money.
SHOP_QUEUES: list[str] = ["payments", "emails", "reports"]


class OrderNotFound(LookupError):
    """No order has the id a job or a page asked for."""


class InvalidPayload(ValueError):
    """A job payload without a usable order_id."""


def list_products(session: Session) -> list[Product]:
    """Return every product, by name."""
    return list(session.scalars(select(Product).order_by(Product.name)))


def order_total(items: Sequence[OrderItem]) -> int:
    """Return the order's total in cents: the one place totals are computed."""
    return sum(item.line_total_cents for item in items)


def place_order(
    session: Session, email: str, lines: Sequence[OrderLine],
    request_started_at: datetime | None = None,
) -> Order:
    """Price validated lines from the database and add the order; the caller commits.

    request_started_at: when the request placing it arrived, for the order's timeline.
    """
    skus = [line.sku for line in lines]
    products = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(skus)))}
    for index, line in enumerate(lines):
        if line.sku not in products:
            raise OrderError(f"items[{index}].sku", f"unknown product {line.sku!r}")
    items = [
        OrderItem(sku=line.sku, quantity=line.quantity,
                  unit_price_cents=products[line.sku].price_cents)
        for line in lines
    ]
    order = Order(email=email, items=items, total_cents=order_total(items), status="pending",
                  request_started_at=request_started_at)
    session.add(order)
    session.flush()  # assigns order.id
    return order


def get_order(session: Session, order_id: int) -> Order:
    """Return the order with order_id, or raise OrderNotFound."""
    order = session.get(Order, order_id)
    if order is None:
        raise OrderNotFound(f"order {order_id} does not exist")
    return order


def order_payload(order_id: int) -> dict[str, Any]:
    """Return the payload every order job carries: the id only, never the order itself."""
    return {"order_id": order_id}


def read_order_id(payload: Mapping[str, Any]) -> int:
    """Return the payload's order_id, or raise InvalidPayload."""
    order_id = payload.get("order_id")
    if isinstance(order_id, bool) or not isinstance(order_id, int) or order_id < 1:
        raise InvalidPayload(f"payload needs a positive integer order_id, got {payload!r}")
    return order_id
