"""SendOrderConfirmation: email the order's confirmation over SMTP, or into the outbox folder."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from shop.models import Order, utc_now
from shop.money import format_cents
from shop.orders.services import InvalidPayload, OrderNotFound, get_order, read_order_id

logger = logging.getLogger(__name__)


class Mailer(Protocol):
    """Delivers an email message somewhere."""

    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    """Sends messages to an SMTP server."""

    host: str
    port: int
    timeout_seconds: float = 10.0

    def send(self, message: EmailMessage) -> None:
        """Send message over one SMTP connection."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds) as smtp:
            smtp.send_message(message)


@dataclass(frozen=True)
class OutboxMailer:
    """Writes messages as .eml files into a folder: the demo's mail server."""

    directory: Path

    def send(self, message: EmailMessage) -> None:
        """Write message to <directory>/<Message-ID>.eml."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>")
        (self.directory / f"{name}.eml").write_bytes(message.as_bytes())


def confirmation_message(order: Order, sender: str) -> EmailMessage:
    """Build the confirmation email for order."""
    message = EmailMessage()
    message["Subject"] = f"Order #{order.id} received"
    message["From"] = sender
    message["To"] = order.email
    # One Message-ID per order, the same on every attempt, so a resent copy is seen as the
    # same email; the placing time keeps it unique when a fresh database reuses the id.
    placed = order.created_at.strftime("%Y%m%d%H%M%S%f")
    message["Message-ID"] = f"<order-{order.id}.{placed}.confirmation@shop.example>"
    lines = [f"Thank you for your order #{order.id}.", ""]
    lines += [
        f"{item.quantity} x {item.product.name} ({item.sku}): {format_cents(item.line_total_cents)}"
        for item in order.items
    ]
    lines += ["", f"Total: {format_cents(order.total_cents)}"]
    message.set_content("\n".join(lines))
    return message


class SendOrderConfirmation:
    """Handles order_confirmation jobs: at most one email per order, however often it runs.

    1. claims the send with a conditional UPDATE (only one run, even concurrent, wins);
    2. sends the email; if sending raises, gives the claim back so the retry can send;
    3. records confirmation_sent_at.
    What remains, chosen knowingly (at most once over at least once): a process killed
    between 1 and 3 keeps the claim, so that order gets no email; the order page then says
    "being sent" for good, and clearing confirmation_claimed_at lets a retry send it. And a
    send that raised after the server had accepted the message (its reply lost) is sent
    again by the retry; both copies carry one Message-ID, so a mail client can tell.
    """

    # Retrying cannot mend a payload without a usable order_id, nor bring an order back.
    give_up_on = (InvalidPayload, OrderNotFound)

    def __init__(self, sessions: sessionmaker[Session], mailer: Mailer, sender: str) -> None:
        self.sessions = sessions
        self.mailer = mailer
        self.sender = sender

    def handle(self, payload: dict[str, Any]) -> None:
        """Email the confirmation of the order named by payload["order_id"]."""
        order_id = read_order_id(payload)
        with self.sessions() as session:
            message = confirmation_message(get_order(session, order_id), self.sender)
        if not self.claim(order_id):
            logger.info("order %s: confirmation already sent or being sent", order_id)
            return
        try:
            self.mailer.send(message)
        except BaseException:  # whatever stopped the send, even a time limit: let a retry send
            self.release(order_id)
            raise
        with self.sessions.begin() as session:
            session.get_one(Order, order_id).confirmation_sent_at = utc_now()
        logger.info("order %s: confirmation sent to %s", order_id, message["To"])

    def claim(self, order_id: int) -> bool:
        """Mark the order's confirmation as being sent; return False if it was already."""
        claim = (
            update(Order)
            .where(Order.id == order_id, Order.confirmation_claimed_at.is_(None))
            .values(confirmation_claimed_at=utc_now())
        )
        with self.sessions.begin() as session:
            return session.connection().execute(claim).rowcount == 1

    def release(self, order_id: int) -> None:
        """Give back the claim of a send that failed, so a retry can send."""
        release = (
            update(Order)
            .where(Order.id == order_id, Order.confirmation_sent_at.is_(None))
            .values(confirmation_claimed_at=None)
        )
        with self.sessions.begin() as session:
            session.execute(release)
