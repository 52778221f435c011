"""ProcessPayment: charge an order through the gateway, record the payment, mark it paid."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shop.handlers.gateway import SimulatedGateway
from shop.models import Order, Payment
from shop.orders.services import InvalidPayload, OrderNotFound, get_order, read_order_id

logger = logging.getLogger(__name__)


def payment_key(public_id: str) -> str:
    """Return the gateway idempotency key of an order's charge: one charge per order. From
    its public id: the gateway outlives the database, whose integer ids come back."""
    return f"order-{public_id}"


class ProcessPayment:
    """Handles process_payment jobs; at most one charge per order, however often it runs.

    1. loads the order and skips it if a payment is already recorded (jobs can run twice);
    2. charges its total through the gateway with the order's idempotency key, outside any
       transaction: a second run, even a concurrent one, gets the first charge back;
    3. records the Payment and marks the order paid, in one transaction; Payment.order_id
       is UNIQUE, so of two concurrent runs one records and the other finds it recorded.
    A declined charge raises PaymentDeclined, so the queue retries with backoff; once the
    queue gives up, the order page shows payment_failed (see shop.web.summary.order_status).
    """

    # Retrying cannot mend a payload without a usable order_id, nor bring an order back.
    give_up_on = (InvalidPayload, OrderNotFound)

    def __init__(self, sessions: sessionmaker[Session], gateway: SimulatedGateway) -> None:
        self.sessions = sessions
        self.gateway = gateway

    def handle(self, payload: dict[str, Any]) -> None:
        """Charge the order named by payload["order_id"]."""
        order_id = read_order_id(payload)
        with self.sessions() as session:
            order = get_order(session, order_id)
            if order.payment is not None:
                logger.info("order %s already paid (%s)", order_id, order.payment.gateway_reference)
                return
            amount_cents, public_id = order.total_cents, order.public_id
        # The session is closed here: no connection or lock is held while the gateway is slow.
        reference = self.gateway.charge(amount_cents, idempotency_key=payment_key(public_id))
        try:
            with self.sessions.begin() as session:
                payment = Payment(
                    order_id=order_id, amount_cents=amount_cents, gateway_reference=reference
                )
                session.add(payment)
                session.get_one(Order, order_id).status = "paid"
        except IntegrityError:
            if not self.is_recorded(order_id):
                raise
            logger.info("order %s: a concurrent run recorded the payment first", order_id)
            return
        logger.info("order %s paid: %s cents, %s", order_id, amount_cents, reference)

    def is_recorded(self, order_id: int) -> bool:
        """Return True if the order's payment is in the database."""
        with self.sessions() as session:
            query = select(Payment.id).where(Payment.order_id == order_id)
            return session.scalar(query) is not None
