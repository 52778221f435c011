"""The handler registry: each job type's name and the object that handles it, in one place."""

from __future__ import annotations

import random
from functools import partial
from pathlib import Path

from flask import Flask

from jobs import JobHandler
from shop.db import Database
from shop.handlers.gateway import PaymentSettings, SimulatedGateway
from shop.handlers.mail import Mailer, OutboxMailer, SendOrderConfirmation, SmtpMailer
from shop.handlers.payments import ProcessPayment
from shop.handlers.reports import GenerateReport


def build_mailer(app: Flask) -> Mailer:
    """Return an SMTP mailer when SHOP_SMTP_HOST is set, else one writing to the outbox folder."""
    host = app.config["SHOP_SMTP_HOST"]
    if host:
        return SmtpMailer(host, int(app.config["SHOP_SMTP_PORT"]))
    return OutboxMailer(Path(app.config["SHOP_OUTBOX_DIR"]))


def build_gateway(app: Flask) -> SimulatedGateway:
    """Return the simulated gateway configured by SHOP_PAYMENT_*, its ledger in the database.

    In demo mode it reads its settings from Redis for every charge, where the demo controls
    change them; SHOP_PAYMENT_* are then the settings until someone does. The demo gives the
    reader (app.extensions["demo_payment_settings"]), so this module needs no demo code.
    """
    database: Database = app.extensions["db"]
    configured = PaymentSettings(
        float(app.config["SHOP_PAYMENT_LATENCY"]), float(app.config["SHOP_PAYMENT_FAILURE_RATE"])
    )
    read_demo_settings = app.extensions.get("demo_payment_settings")
    live = partial(read_demo_settings, configured) if read_demo_settings is not None else None
    return SimulatedGateway(
        database.sessions,
        latency_seconds=configured.latency_seconds,
        failure_rate=configured.failure_rate,
        rng=random.Random(app.config["SHOP_PAYMENT_SEED"]),
        live_settings=live,
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
