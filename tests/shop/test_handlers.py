"""The handler registry and how configuration picks each handler's parts."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from shop.handlers import build_gateway, build_handlers, build_mailer
from shop.mail import OutboxMailer, SendOrderConfirmation, SmtpMailer
from shop.orders import JOB_QUEUES
from shop.payments import ProcessPayment
from shop.reports import GenerateReport


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
