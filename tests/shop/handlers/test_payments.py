"""ProcessPayment against the real database and the simulated gateway."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.db import Database
from shop.handlers.gateway import PaymentDeclined, SimulatedGateway
from shop.handlers.payments import ProcessPayment
from shop.models import Order, Payment
from shop.orders.services import InvalidPayload, OrderNotFound, place_order
from shop.orders.validation import OrderLine


@pytest.fixture
def order(session: Session) -> Order:
    """A committed order for three packs of biscuits."""
    order = place_order(session, "ada@example.com", [OrderLine("BISCUITS", 3)])
    session.commit()
    return order


def handler(database: Database, failure_rate: float = 0.0) -> ProcessPayment:
    """Return a ProcessPayment with an instant, seeded gateway."""
    gateway = SimulatedGateway(
        database.sessions, latency_seconds=0, failure_rate=failure_rate, rng=random.Random(1)
    )
    return ProcessPayment(database.sessions, gateway)


def test_a_charged_order_is_paid_and_its_payment_recorded(database: Database, order: Order) -> None:
    handler(database).handle({"order_id": order.id})

    with database.sessions() as session:
        assert session.get_one(Order, order.id).status == "paid"
        payment = session.scalars(select(Payment)).one()
        assert (payment.order_id, payment.amount_cents) == (order.id, 3 * 399)
        assert payment.gateway_reference.startswith("sim_")


def test_a_declined_charge_raises_and_records_nothing(database: Database, order: Order) -> None:
    with pytest.raises(PaymentDeclined, match=f"order-{order.public_id}"):
        handler(database, failure_rate=1.0).handle({"order_id": order.id})

    with database.sessions() as session:
        assert session.get_one(Order, order.id).status == "pending"
        assert session.scalars(select(Payment)).all() == []


def test_a_job_that_runs_twice_charges_once(database: Database, order: Order) -> None:
    process = handler(database)

    process.handle({"order_id": order.id})
    process.handle({"order_id": order.id})

    with database.sessions() as session:
        assert len(session.scalars(select(Payment)).all()) == 1


@pytest.mark.parametrize(
    ("payload", "error"),
    [({}, InvalidPayload), ({"order_id": None}, InvalidPayload),
     ({"order_id": 404}, OrderNotFound)],
)
def test_a_bad_payload_raises_a_clear_error(
    database: Database, payload: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error, match="order"):
        handler(database).handle(payload)
