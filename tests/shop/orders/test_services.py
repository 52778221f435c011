"""Order services against the real database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.models import Order
from shop.orders.services import (
    JOB_QUEUES,
    SHOP_QUEUES,
    InvalidPayload,
    OrderNotFound,
    get_order,
    list_products,
    place_order,
    read_order_id,
)
from shop.orders.validation import OrderError, OrderLine


def test_products_are_listed_by_name(session: Session) -> None:
    names = [product.name for product in list_products(session)]

    assert names == sorted(names)
    assert len(names) == 5


def test_an_order_is_priced_from_the_database(session: Session) -> None:
    lines = [OrderLine("MUG-ENAMEL", 2), OrderLine("BISCUITS", 3)]

    order = place_order(session, "ada@example.com", lines)
    session.commit()

    stored = session.scalars(select(Order)).one()
    assert stored.id == order.id
    assert stored.status == "pending"
    assert [(item.sku, item.quantity, item.unit_price_cents) for item in stored.items] == [
        ("MUG-ENAMEL", 2, 1450), ("BISCUITS", 3, 399),
    ]
    assert stored.total_cents == 2 * 1450 + 3 * 399


def test_an_unknown_sku_is_named_and_nothing_is_added(session: Session) -> None:
    lines = [OrderLine("MUG-ENAMEL", 1), OrderLine("NO-SUCH-THING", 1)]

    with pytest.raises(OrderError) as raised:
        place_order(session, "ada@example.com", lines)

    assert raised.value.field == "items[1].sku"
    assert session.scalars(select(Order)).all() == []


def test_get_order_raises_for_an_unknown_id(session: Session) -> None:
    with pytest.raises(OrderNotFound, match="order 404"):
        get_order(session, 404)


def test_the_worker_serves_every_queue_jobs_go_to() -> None:
    assert sorted(SHOP_QUEUES) == sorted(set(JOB_QUEUES.values()))
    assert SHOP_QUEUES[0] == "payments"


@pytest.mark.parametrize("payload", [{}, {"order_id": "1"}, {"order_id": 0}, {"order_id": True},
                                     {"order_id": 1.0}, {"id": 1}])
def test_a_payload_without_a_positive_integer_order_id_is_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(InvalidPayload, match="order_id"):
        read_order_id(payload)


def test_read_order_id_returns_the_id() -> None:
    assert read_order_id({"order_id": 7}) == 7
