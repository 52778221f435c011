"""GenerateReport: a sales report from SQL aggregates, stored as a Report row."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import ColumnElement, desc, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shop.models import Order, OrderItem, Product, Report
from shop.orders.services import InvalidPayload, OrderNotFound, get_order, read_order_id

logger = logging.getLogger(__name__)


def order_hour(dialect: str) -> ColumnElement[str]:
    """Return SQL for the hour an order was placed, as text like "2025-01-31 14:00" (UTC)."""
    if dialect == "postgresql":
        return func.to_char(Order.created_at, "YYYY-MM-DD HH24:00")
    return func.strftime("%Y-%m-%d %H:00", Order.created_at)  # SQLite


def sales_by_product(session: Session) -> list[dict[str, Any]]:
    """Return units sold and revenue per product, best-selling first."""
    units = func.sum(OrderItem.quantity).label("units")
    revenue = func.sum(OrderItem.quantity * OrderItem.unit_price_cents).label("revenue_cents")
    rows = session.execute(
        select(Product.sku, Product.name, units, revenue)
        .join(OrderItem, OrderItem.sku == Product.sku)
        .group_by(Product.sku, Product.name)
        .order_by(desc(revenue), Product.sku)
    )
    return [
        {"sku": sku, "name": name, "units": int(units), "revenue_cents": int(revenue_cents)}
        for sku, name, units, revenue_cents in rows
    ]


def orders_per_hour(session: Session) -> list[dict[str, Any]]:
    """Return how many orders were placed in each hour (UTC) that had any."""
    dialect = session.get_bind().dialect.name
    # Grouping a subquery's column, not the expression: Postgres would see the format
    # string as two different bound parameters in SELECT and GROUP BY and refuse.
    hours = select(order_hour(dialect).label("hour")).subquery()
    rows = session.execute(
        select(hours.c.hour, func.count()).group_by(hours.c.hour).order_by(hours.c.hour)
    )
    return [{"hour": hour, "orders": int(orders)} for hour, orders in rows]


def build_sales_report(session: Session) -> dict[str, Any]:
    """Return the sales report over every order placed so far, paid or not."""
    products = sales_by_product(session)
    hours = orders_per_hour(session)
    return {
        "products": products,
        "orders_per_hour": hours,
        "totals": {
            "orders": sum(hour["orders"] for hour in hours),
            "units": sum(product["units"] for product in products),
            "revenue_cents": sum(product["revenue_cents"] for product in products),
        },
    }


def latest_report_id(session: Session, order_id: int) -> int | None:
    """Return the id of the report generated for order_id, if any."""
    return session.scalar(
        select(Report.id).where(Report.order_id == order_id).order_by(Report.id.desc()).limit(1)
    )


class GenerateReport:
    """Handles generate_report jobs: store the sales report of the order, once.

    A second run, even a concurrent one, keeps the first report (Report.order_id is UNIQUE),
    so running the job again gives the same result.
    """

    # Retrying cannot mend a payload without a usable order_id, nor bring an order back.
    give_up_on = (InvalidPayload, OrderNotFound)

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def handle(self, payload: dict[str, Any]) -> None:
        """Store a sales report linked to the order named by payload["order_id"]."""
        order_id = read_order_id(payload)
        try:
            with self.sessions.begin() as session:
                get_order(session, order_id)
                existing = latest_report_id(session, order_id)
                if existing is not None:
                    logger.info("order %s: report %s kept", order_id, existing)
                    return
                report = Report(order_id=order_id, data=build_sales_report(session))
                session.add(report)
                session.flush()
                logger.info("order %s: report %s generated", order_id, report.id)
        except IntegrityError:
            with self.sessions() as session:
                if latest_report_id(session, order_id) is None:
                    raise
            logger.info("order %s: a concurrent run stored the report first", order_id)
