"""SendOrderConfirmation against the real database, a real SMTP server, and the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy.orm import Session

from devtools.embedded_redis import free_port
from shop.db import Database
from shop.handlers.mail import OutboxMailer, SendOrderConfirmation, SmtpMailer, confirmation_message
from shop.models import Order
from shop.orders.services import InvalidPayload, OrderNotFound, place_order
from shop.orders.validation import OrderLine


class Inbox(Message):
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[EmailMessage] = []

    def handle_message(self, message: EmailMessage) -> None:
        """Keep the message."""
        self.messages.append(message)


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    """A real SMTP server on a free loopback port; yields its port and inbox."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def order(session: Session) -> Order:
    """A committed order for two mugs and a teapot."""
    lines = [OrderLine("MUG-ENAMEL", 2), OrderLine("TEAPOT-IRON", 1)]
    order = place_order(session, "ada@example.com", lines)
    session.commit()
    return order


def test_the_confirmation_is_sent_over_smtp_and_recorded(
    database: Database, order: Order, smtp: tuple[int, Inbox]
) -> None:
    port, inbox = smtp
    handler = SendOrderConfirmation(
        database.sessions, SmtpMailer("127.0.0.1", port), sender="shop@example.com"
    )

    handler.handle({"order_id": order.id})

    # aiosmtpd stores the message before it answers the DATA command, so no wait is needed.
    [received] = inbox.messages
    assert received["To"] == "ada@example.com"
    assert received["From"] == "shop@example.com"
    assert f"#{order.id}" in received["Subject"]
    body = received.get_payload()
    assert "Enamel mug" in body and "$81.00" in body
    with database.sessions() as session:
        assert session.get_one(Order, order.id).confirmation_sent_at is not None


def test_a_confirmation_already_sent_is_not_sent_again(
    database: Database, order: Order, smtp: tuple[int, Inbox]
) -> None:
    port, inbox = smtp
    handler = SendOrderConfirmation(database.sessions, SmtpMailer("127.0.0.1", port), "s@x.io")

    handler.handle({"order_id": order.id})
    handler.handle({"order_id": order.id})

    assert len(inbox.messages) == 1


def test_without_smtp_the_message_is_written_to_the_outbox(
    database: Database, order: Order, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    handler = SendOrderConfirmation(database.sessions, OutboxMailer(outbox), "shop@example.com")

    handler.handle({"order_id": order.id})

    [written] = outbox.glob("*.eml")
    message = message_from_bytes(written.read_bytes())
    assert message["To"] == "ada@example.com"
    assert f"#{order.id}" in message["Subject"]


def test_an_smtp_server_that_is_down_fails_the_attempt_and_the_retry_sends(
    database: Database, order: Order, smtp: tuple[int, Inbox]
) -> None:
    nobody_listens = SmtpMailer("127.0.0.1", free_port())
    handler = SendOrderConfirmation(database.sessions, nobody_listens, "s@x.io")

    with pytest.raises(OSError):
        handler.handle({"order_id": order.id})

    with database.sessions() as session:
        stored = session.get_one(Order, order.id)
        assert (stored.confirmation_claimed_at, stored.confirmation_sent_at) == (None, None)
    # And once the server is back, the queue's retry sends it
    port, inbox = smtp
    SendOrderConfirmation(database.sessions, SmtpMailer("127.0.0.1", port), "s@x.io").handle(
        {"order_id": order.id}
    )
    assert len(inbox.messages) == 1


def test_a_run_that_died_after_claiming_leaves_the_order_unsent(
    database: Database, order: Order, smtp: tuple[int, Inbox]
) -> None:
    # Given a run that claimed the send and was killed before sending (at most once)
    port, inbox = smtp
    handler = SendOrderConfirmation(database.sessions, SmtpMailer("127.0.0.1", port), "s@x.io")
    assert handler.claim(order.id)

    # When the job runs again
    handler.handle({"order_id": order.id})

    # Then no email is sent: the claim stands, and the order says it is being sent
    assert inbox.messages == []
    with database.sessions() as session:
        stored = session.get_one(Order, order.id)
        assert stored.confirmation_claimed_at is not None
        assert stored.confirmation_sent_at is None


def test_every_attempt_carries_the_same_message_id(database: Database, order: Order) -> None:
    with database.sessions() as session:
        stored = session.get_one(Order, order.id)
        first = confirmation_message(stored, "s@x.io")["Message-ID"]
        assert confirmation_message(stored, "s@x.io")["Message-ID"] == first
    assert first.startswith(f"<order-{order.id}.")


@pytest.mark.parametrize(
    ("payload", "error"),
    [({}, InvalidPayload), ({"order_id": "1"}, InvalidPayload), ({"order_id": 404}, OrderNotFound)],
)
def test_a_bad_payload_raises_a_clear_error(
    database: Database, tmp_path: Path, payload: dict[str, Any], error: type[Exception]
) -> None:
    handler = SendOrderConfirmation(database.sessions, OutboxMailer(tmp_path), "s@x.io")

    with pytest.raises(error, match="order"):
        handler.handle(payload)
