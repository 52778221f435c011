"""GenerateReport: SQL aggregates over known orders, stored and linked to the order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.db import Database
from shop.handlers.reports import GenerateReport, build_sales_report, latest_report_id
from shop.models import Order, Report
from shop.orders.services import InvalidPayload, OrderNotFound, place_order
from shop.orders.validation import OrderLine


def order_at(session: Session, moment: datetime, *lines: OrderLine) -> Order:
    """Place and commit an order as if it had been placed at moment."""
    order = place_order(session, "ada@example.com", list(lines))
    order.created_at = moment
    session.commit()
    return order


@pytest.fixture
def orders(session: Session) -> list[Order]:
    """Three orders over two hours: mugs 1+2+0, biscuits 4+0+1, a teapot once."""
    return [
        order_at(session, datetime(2025, 3, 1, 9, 5, tzinfo=UTC),
                 OrderLine("MUG-ENAMEL", 1), OrderLine("BISCUITS", 4)),
        order_at(session, datetime(2025, 3, 1, 9, 59, 59, tzinfo=UTC),
                 OrderLine("MUG-ENAMEL", 2), OrderLine("TEAPOT-IRON", 1)),
        order_at(session, datetime(2025, 3, 1, 11, 0, tzinfo=UTC), OrderLine("BISCUITS", 1)),
    ]


def test_the_report_aggregates_revenue_units_and_orders_per_hour(
    session: Session, orders: list[Order]
) -> None:
    report = build_sales_report(session)

    assert report["products"] == [
        {"sku": "TEAPOT-IRON", "name": "Cast-iron teapot", "units": 1, "revenue_cents": 5200},
        {"sku": "MUG-ENAMEL", "name": "Enamel mug", "units": 3, "revenue_cents": 3 * 1450},
        {"sku": "BISCUITS", "name": "Shortbread biscuits", "units": 5, "revenue_cents": 5 * 399},
    ]
    assert report["orders_per_hour"] == [
        {"hour": "2025-03-01 09:00", "orders": 2},
        {"hour": "2025-03-01 11:00", "orders": 1},
    ]
    assert report["totals"] == {
        "orders": 3, "units": 9, "revenue_cents": 5200 + 3 * 1450 + 5 * 399,
    }


def test_a_report_of_no_orders_is_empty(session: Session) -> None:
    report = build_sales_report(session)

    assert report == {
        "products": [], "orders_per_hour": [],
        "totals": {"orders": 0, "units": 0, "revenue_cents": 0},
    }


def test_the_handler_stores_one_report_linked_to_its_order_however_often_it_runs(
    database: Database, orders: list[Order]
) -> None:
    generate = GenerateReport(database.sessions)

    generate.handle({"order_id": orders[0].id})
    with database.sessions() as session:
        first = session.scalars(select(Report)).one()
        first_data = first.data
    generate.handle({"order_id": orders[0].id})

    with database.sessions() as session:
        [report] = session.scalars(select(Report)).all()
        assert (report.id, report.order_id, report.data) == (first.id, orders[0].id, first_data)
        assert report.data["totals"]["orders"] == 3
        assert latest_report_id(session, orders[0].id) == report.id
        assert latest_report_id(session, orders[1].id) is None


@pytest.mark.parametrize(
    ("payload", "error"), [({}, InvalidPayload), ({"order_id": 404}, OrderNotFound)]
)
def test_a_bad_payload_raises_a_clear_error(
    database: Database, payload: dict[str, int], error: type[Exception]
) -> None:
    with pytest.raises(error, match="order"):
        GenerateReport(database.sessions).handle(payload)

    with database.sessions() as session:
        assert session.scalars(select(Report)).all() == []
