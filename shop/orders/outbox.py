"""The outbox: an order's jobs are rows written with the order, pushed to Redis after commit.

Writing the order and its jobs in one transaction means neither exists without the other.
Pushing after the commit means a worker never pops a job for an order it cannot see yet.
Whatever the push did not confirm (Redis down, the process died) keeps pushed_at NULL and
the relay (shop.orders.relay) pushes it later; each job's id is derived from the order's public
id and the job type, so a push that happens twice queues the job once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from jobs import JobQueue
from jobs.keys import check_job_id
from shop.models import Order, OrderJob, utc_now
from shop.orders.services import JOB_QUEUES, order_payload

logger = logging.getLogger(__name__)


def order_job_id(public_id: str, job_type: str) -> str:
    """Return the id of an order's job of job_type, e.g. "order-3f9c0a1b2c3d4e5f-process_payment",
    from the order's public id: an integer id comes back when a database is recreated."""
    return check_job_id(f"order-{public_id}-{job_type}")


def record_order_jobs(session: Session, order: Order) -> list[OrderJob]:
    """Add the order's jobs, not yet pushed, to its transaction; the caller commits."""
    jobs = [
        OrderJob(
            order_id=order.id, job_id=order_job_id(order.public_id, job_type), type=job_type,
            queue=queue_name,
        )
        for job_type, queue_name in JOB_QUEUES.items()
    ]
    session.add_all(jobs)
    session.flush()
    return jobs


def push_jobs(session: Session, queue: JobQueue, jobs: Sequence[OrderJob]) -> int:
    """Push committed jobs to Redis, mark them pushed and commit; return how many went."""
    pushed = dispatch_jobs(queue, jobs)
    session.commit()
    return pushed


def dispatch_jobs(queue: JobQueue, jobs: Sequence[OrderJob]) -> int:
    """Push committed jobs to Redis in one round trip and set their pushed_at; the caller
    commits. Return how many went: all of them, or none.

    On a Redis error none is marked pushed, even if Redis took some before failing: the
    relay pushes them all later, and those already queued are skipped by their ids. The
    order is saved, so the request must not fail, nor wait on more than one timeout.
    """
    if not jobs:
        return 0
    try:
        with queue.batch() as batch:
            for job in jobs:
                batch.dispatch(job.queue, job.type, order_payload(job.order_id),
                               job_id=job.job_id)
    except RedisError as error:
        logger.warning("Redis refused %d job(s), %s first (%s): left for the relay",
                       len(jobs), jobs[0].job_id, error)
        return 0
    pushed_at = utc_now()
    for job in jobs:
        job.pushed_at = pushed_at
    return len(jobs)
