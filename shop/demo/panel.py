"""What the demo panel shows: payment settings, the invariant, both checkouts' response times."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select

from jobs import InvariantCheck
from shop.config import is_demo
from shop.db import get_session
from shop.demo.settings import read_payment_settings
from shop.extensions import current_queue, current_redis
from shop.handlers.gateway import PaymentSettings
from shop.models import Order, OrderJob
from shop.orders.services import SHOP_QUEUES

RECENT_JOBS = 60  # the invariant is checked for the jobs of the last 20 orders


@dataclass(frozen=True)
class Checkout:
    """The latest order placed one way, and how long its request took."""

    order_id: int
    seconds: float


@dataclass(frozen=True)
class DemoPanel:
    """Everything the demo panel shows."""

    payment: PaymentSettings
    invariant: InvariantCheck | None  # None: Redis did not answer
    queued: Checkout | None
    synchronous: Checkout | None
    recovery_seconds: float


def load_demo_panel() -> DemoPanel | None:
    """Read the demo panel's data, or None outside demo mode."""
    if not is_demo():
        return None
    config = current_app.config
    defaults = PaymentSettings(config["SHOP_PAYMENT_LATENCY"], config["SHOP_PAYMENT_FAILURE_RATE"])
    payment = read_payment_settings(current_redis(), config["JOBS_PREFIX"], defaults)
    return DemoPanel(
        payment, recent_invariant(), latest_checkout(synchronous=False),
        latest_checkout(synchronous=True), float(config["JOBS_RECOVERY_TIMEOUT"]) * 1.5,
    )


def recent_invariant() -> InvariantCheck | None:
    """Check "every job in exactly one place" for the recent orders' queued jobs."""
    query = (select(OrderJob.job_id).where(OrderJob.pushed_at.is_not(None))
             .order_by(OrderJob.id.desc()).limit(RECENT_JOBS))
    job_ids = list(get_session().scalars(query))
    try:
        return current_queue().check_invariant(job_ids, SHOP_QUEUES)
    except RedisError:
        return None


def latest_checkout(synchronous: bool) -> Checkout | None:
    """Return the latest answered order of one kind of checkout, with its response time."""
    kind = Order.inline_jobs.is_not(None) if synchronous else Order.inline_jobs.is_(None)
    query = (select(Order).where(kind, Order.responded_at.is_not(None),
                                 Order.request_started_at.is_not(None))
             .order_by(Order.id.desc()).limit(1))
    order = get_session().scalars(query).first()
    if order is None or order.responded_at is None or order.request_started_at is None:
        return None
    return Checkout(order.id, (order.responded_at - order.request_started_at).total_seconds())
