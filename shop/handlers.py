"""The handler registry: each job type's name and the object that handles it, in one place."""

from __future__ import annotations

import random
from pathlib import Path

from flask import Flask

from jobs import JobHandler
from shop.db import Database
from shop.gateway import SimulatedGateway
from shop.mail import Mailer, OutboxMailer, SendOrderConfirmation, SmtpMailer
from shop.payments import ProcessPayment
from shop.reports import GenerateReport


def build_mailer(app: Flask) -> Mailer:
    """Return an SMTP mailer when SHOP_SMTP_HOST is set, else one writing to the outbox folder."""
    host = app.config["SHOP_SMTP_HOST"]
    if host:
        return SmtpMailer(host, int(app.config["SHOP_SMTP_PORT"]))
    return OutboxMailer(Path(app.config["SHOP_OUTBOX_DIR"]))


def build_gateway(app: Flask) -> SimulatedGateway:
    """Return the simulated gateway configured by SHOP_PAYMENT_*."""
    return SimulatedGateway(
        latency_seconds=float(app.config["SHOP_PAYMENT_LATENCY"]),
        failure_rate=float(app.config["SHOP_PAYMENT_FAILURE_RATE"]),
        rng=random.Random(app.config["SHOP_PAYMENT_SEED"]),
    )


def build_handlers(app: Flask) -> dict[str, JobHandler]:
    """Return the registry the worker runs: job type -> handler (the keys of JOB_QUEUES)."""
    database: Database = app.extensions["db"]
    return {
        "order_confirmation": SendOrderConfirmation(
            database.sessions, build_mailer(app), sender=app.config["SHOP_MAIL_FROM"]
        ),
        "process_payment": ProcessPayment(database.sessions, build_gateway(app)),
        "generate_report": GenerateReport(database.sessions),
    }
