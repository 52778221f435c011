"""The shop's tables as SQLAlchemy 2.0 typed models; money is integer cents everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ORDER_STATUSES = ("pending", "paid", "payment_failed")


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Store naive UTC, load aware UTC: the same on SQLite (which keeps no offset) and Postgres."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC; refuse a naive one (whose zone is a guess)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one, e.g. utc_now()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Mark a loaded naive UTC datetime as UTC."""
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    """The declarative base every model shares."""


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
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(
        Enum(*ORDER_STATUSES, name="order_status", native_enum=False, create_constraint=True),
        default="pending",
    )
    total_cents: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

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
    """A queue job dispatched for an order, kept so the order page can ask for its state."""

    __tablename__ = "order_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    job_id: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(50))
    queue: Mapped[str] = mapped_column(String(50))


class Payment(Base):
    """The gateway's record of an order's charge; UNIQUE order_id means one payment per order."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    amount_cents: Mapped[int]
    gateway_reference: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class Report(Base):
    """A stored sales report; order_id names the order whose job generated it."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
