"""SendOrderConfirmation: email the order's confirmation over SMTP, or into the outbox folder."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from shop.models import Order, utc_now
from shop.money import format_cents
from shop.orders import InvalidPayload, OrderNotFound, get_order, read_order_id

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
    message["Message-ID"] = make_msgid(idstring=f"order-{order.id}", domain="shop.example")
    lines = [f"Thank you for your order #{order.id}.", ""]
    lines += [
        f"{item.quantity} x {item.product.name} ({item.sku}): {format_cents(item.line_total_cents)}"
        for item in order.items
    ]
    lines += ["", f"Total: {format_cents(order.total_cents)}"]
    message.set_content("\n".join(lines))
    return message


class SendOrderConfirmation:
    """Handles order_confirmation jobs: send the email once, then record confirmation_sent_at."""

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
            order = get_order(session, order_id)
            if order.confirmation_sent_at is not None:
                logger.info("order %s: confirmation already sent", order_id)
                return
            message = confirmation_message(order, self.sender)
        # Sent before it is recorded: a crash in between sends it twice, never zero times.
        self.mailer.send(message)
        with self.sessions.begin() as session:
            session.get_one(Order, order_id).confirmation_sent_at = utc_now()
        logger.info("order %s: confirmation sent to %s", order_id, message["To"])
