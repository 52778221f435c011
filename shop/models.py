"""The shop's tables as SQLAlchemy 2.0 typed models; money is integer cents everywhere.

Two tables live beside the code that owns them: the simulated gateway's ledger
(shop/handlers/gateway.py) and the idempotency keys of POST /orders (shop/orders/idempotency.py).
Every change to a table goes through a migration in shop/migrations/.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.columns import Base, UtcDateTime, utc_now

__all__ = ["Base", "Order", "OrderItem", "OrderJob", "Payment", "Product", "Report", "utc_now"]

ORDER_STATUSES = ("pending", "paid", "payment_failed")


def new_public_id() -> str:
    """Return a random order id for outside the database: 16 hex digits, never reused."""
    return secrets.token_hex(8)


class Product(Base):
    """Something the shop sells, at a price in cents."""

    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int]


class Order(Base):
    """A customer's order; its total is fixed when it is placed."""

    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The order's name outside this database: in its job ids and its payment's idempotency
    # key, which Redis and the gateway remember. A database recreated (a reset demo, a
    # restored backup) hands out its integer ids again; random ones are not reused.
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(
        Enum(*ORDER_STATUSES, name="order_status", native_enum=False, create_constraint=True),
        default="pending",
    )
    total_cents: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    # Set by the one confirmation job that may send the email (shop.handlers.mail), then sent_at.
    confirmation_claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The order page's timeline: when POST /orders arrived and when its answer had been
    # sent (shop.orders.request_timing); NULL for orders placed before, or while it is sending.
    request_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Only for the demo's synchronous checkout (shop.demo.sync_checkout), which runs the three
    # handlers inside the request: each run's type, start, end and error. NULL: queued.
    inline_jobs: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))

    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.id")
    jobs: Mapped[list[OrderJob]] = relationship(order_by="OrderJob.id")
    payment: Mapped[Payment | None] = relationship()


class OrderItem(Base):
    """One line of an order, priced when the order was placed."""

    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()

    @property
    def line_total_cents(self) -> int:
        """Return quantity times unit price."""
        return self.quantity * self.unit_price_cents


class OrderJob(Base):
    """A job to push for an order (the outbox), written in the order's transaction.

    pushed_at stays NULL until Redis has confirmed the push; the relay pushes the rest.
    """

    __tablename__ = "order_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    # "order-<order public id>-<type>": pushing it again is a no-op in Redis (JobQueue.dispatch).
    job_id: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(50))
    queue: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    pushed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class Payment(Base):
    """The gateway's record of an order's charge; UNIQUE order_id means one payment per order."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    amount_cents: Mapped[int]
    gateway_reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class Report(Base):
    """A stored sales report; order_id names the order whose job generated it (one at most)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
