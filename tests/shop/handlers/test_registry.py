"""The handler registry, how configuration picks each handler's parts, and that every
handler is idempotent: run twice, or concurrently, it has its effect once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from flask import Flask
from sqlalchemy import select

from devtools.embedded_redis import free_port
from jobs import JobHandler
from shop.db import Database
from shop.handlers.gateway import GatewayCharge
from shop.handlers.mail import OutboxMailer, SendOrderConfirmation, SmtpMailer
from shop.handlers.payments import ProcessPayment
from shop.handlers.registry import build_gateway, build_handlers, build_mailer
from shop.handlers.reports import GenerateReport
from shop.models import Order, Payment, Report
from shop.orders.services import JOB_QUEUES, place_order
from shop.orders.validation import OrderLine


def test_every_dispatched_job_type_has_a_handler(app: Flask) -> None:
    handlers = build_handlers(app)

    assert set(handlers) == set(JOB_QUEUES)
    assert isinstance(handlers["order_confirmation"], SendOrderConfirmation)
    assert isinstance(handlers["process_payment"], ProcessPayment)
    assert isinstance(handlers["generate_report"], GenerateReport)


def test_without_an_smtp_host_mail_goes_to_the_outbox(app: Flask) -> None:
    mailer = build_mailer(app)

    assert mailer == OutboxMailer(Path(app.config["SHOP_OUTBOX_DIR"]))


def test_with_an_smtp_host_mail_goes_over_smtp(app: Flask) -> None:
    app.config.update(SHOP_SMTP_HOST="mail.example.com", SHOP_SMTP_PORT=2525)

    assert build_mailer(app) == SmtpMailer("mail.example.com", 2525)


def test_the_gateway_follows_the_payment_settings(app: Flask) -> None:
    app.config.update(SHOP_PAYMENT_LATENCY=0.5, SHOP_PAYMENT_FAILURE_RATE=0.25)

    gateway = build_gateway(app)

    assert (gateway.latency_seconds, gateway.failure_rate) == (0.5, 0.25)


def test_a_seed_makes_the_gateway_repeatable(app: Flask) -> None:
    app.config.update(SHOP_PAYMENT_SEED=42)

    assert build_gateway(app).rng.random() == build_gateway(app).rng.random()


def run_concurrently(handler: JobHandler, payload: dict[str, Any], times: int) -> None:
    """Call handler.handle(payload) from `times` threads released at the same moment."""
    start = threading.Barrier(times)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            handler.handle(payload)
        except BaseException as error:  # the test thread asserts there were none
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


@pytest.fixture
def smtp() -> Iterator[tuple[int, list[Any]]]:
    """A real SMTP server on a free port; yields its port and the messages it received."""
    inbox: list[Any] = []

    class Keep(Message):  # type: ignore[misc]
        def handle_message(self, message: Any) -> None:
            inbox.append(message)

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_every_job_run_twice_then_concurrently_has_its_effect_once(
    app: Flask, database: Database, smtp: tuple[int, list[Any]]
) -> None:
    # Given an order, a real SMTP server and a gateway slow enough for the runs to overlap
    port, inbox = smtp
    app.config.update(SHOP_SMTP_HOST="127.0.0.1", SHOP_SMTP_PORT=port, SHOP_PAYMENT_LATENCY=0.2)
    handlers = build_handlers(app)
    with database.sessions() as session:
        order = place_order(session, "ada@example.com", [OrderLine("TEAPOT-IRON", 1)])
        session.commit()
    payload = {"order_id": order.id}

    # When every job runs twice in a row, then four times at once
    for handler in handlers.values():
        handler.handle(payload)
        handler.handle(payload)
        run_concurrently(handler, payload, times=4)

    # Then the order was charged once, paid once, emailed once and reported once
    with database.sessions() as session:
        [charge] = session.scalars(select(GatewayCharge)).all()
        [payment] = session.scalars(select(Payment)).all()
        assert (charge.amount_cents, charge.reference) == (5200, payment.gateway_reference)
        stored = session.get_one(Order, order.id)
        assert stored.status == "paid"
        assert stored.confirmation_sent_at is not None
        [report] = session.scalars(select(Report)).all()
        assert report.order_id == order.id
    assert len(inbox) == 1


def test_concurrent_first_runs_also_have_one_effect(
    app: Flask, database: Database, smtp: tuple[int, list[Any]]
) -> None:
    # Given a fresh order: no run has happened yet, so every run passes every early check
    port, inbox = smtp
    app.config.update(SHOP_SMTP_HOST="127.0.0.1", SHOP_SMTP_PORT=port, SHOP_PAYMENT_LATENCY=0.2)
    with database.sessions() as session:
        order = place_order(session, "ada@example.com", [OrderLine("BISCUITS", 2)])
        session.commit()

    # When each job's first runs are four at once
    for handler in build_handlers(app).values():
        run_concurrently(handler, {"order_id": order.id}, times=4)

    # Then each effect happened once
    with database.sessions() as session:
        assert len(session.scalars(select(GatewayCharge)).all()) == 1
        assert len(session.scalars(select(Payment)).all()) == 1
        assert len(session.scalars(select(Report)).all()) == 1
    assert len(inbox) == 1
