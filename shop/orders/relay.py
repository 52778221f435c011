"""The outbox relay: `flask --app shop relay` pushes the jobs no request could push.

A request pushes its order's jobs right after the commit; when Redis is down, or the process
dies first, they stay in order_jobs with pushed_at NULL. The relay finds them and pushes them.
A job Redis already has is not queued twice (its id comes from the order), so the relay and a
request may both push one job. Every worker relays too (worker.py), and a RelayLock lets one
process at a time make a pass, so `flask relay` is needed only where no worker runs.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import timedelta
from types import FrameType

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from jobs import JobQueue
from shop.db import Database
from shop.models import OrderJob, utc_now
from shop.orders.outbox import push_jobs
from shop.orders.relay_lock import RelayLock

logger = logging.getLogger(__name__)

BATCH_SIZE = 100  # jobs read from the database, then pushed to Redis, per round trip
INTERVAL_SECONDS = 1.0  # between passes
MIN_AGE_SECONDS = 5.0  # a job younger than this is left to the request that wrote it


def relay_once(database: Database, queue: JobQueue, min_age_seconds: float) -> int:
    """Push the unpushed jobs older than min_age_seconds; return how many were pushed."""
    # Younger jobs are left to the request that wrote them, which is pushing them right now.
    cutoff = utc_now() - timedelta(seconds=min_age_seconds)
    total = 0
    while True:
        with database.sessions() as session:
            waiting = session.scalars(
                select(OrderJob)
                .where(OrderJob.pushed_at.is_(None), OrderJob.created_at <= cutoff)
                .order_by(OrderJob.id)
                .limit(BATCH_SIZE)
            ).all()
            pushed = push_jobs(session, queue, waiting) if waiting else 0
        total += pushed
        if pushed < BATCH_SIZE:  # the last batch, or Redis stopped answering
            return total


class Relay:
    """Runs relay_once every interval until told to stop.

    1. pushes the waiting jobs (relay_once) if it holds the RelayLock, and logs how many;
    2. waits interval_seconds, or less when a signal comes;
    3. on SIGTERM or SIGINT finishes the pass it is in and returns; a database or Redis that
       is down is logged and tried again next pass.
    """

    def __init__(
        self, database: Database, queue: JobQueue, interval_seconds: float, min_age_seconds: float
    ) -> None:
        self.database = database
        self.queue = queue
        self.interval_seconds = interval_seconds
        self.min_age_seconds = min_age_seconds
        self.lock = RelayLock(queue.redis, queue.keys.relay)
        self.stopping = threading.Event()

    def run(self, once: bool = False) -> int:
        """Relay until stopped (or one pass if once); return how many jobs were pushed."""
        total = 0
        while not self.stopping.is_set():
            try:
                pushed = self.relay_if_first()
            except (OperationalError, RedisError) as error:
                logger.warning("relay pass failed, trying again: %s", error)
                pushed = 0
            if pushed:
                logger.info("relayed %d job(s) to Redis", pushed)
            total += pushed
            if once:
                break
            self.stopping.wait(self.interval_seconds)
        logger.info("relay stopped; %d job(s) relayed", total)
        return total

    def relay_if_first(self) -> int:
        """One pass, unless another process is making one; return how many were pushed."""
        if not self.lock.acquire():
            return 0
        try:
            return relay_once(self.database, self.queue, self.min_age_seconds)
        finally:
            self.lock.release()

    def stop(self, signum: int, frame: FrameType | None) -> None:
        """Signal handler: only set the flag; the loop notices at once."""
        logger.info("received %s, stopping", signal.Signals(signum).name)
        self.stopping.set()


@click.command("relay")
@click.option("--once", is_flag=True, help="One pass, then exit (tests, cron).")
@click.option("--interval", default=INTERVAL_SECONDS, show_default=True,
              help="Seconds between passes.")
@click.option("--min-age", default=MIN_AGE_SECONDS, show_default=True,
              help="Seconds a job is left to the request that wrote it.")
@with_appcontext
def relay_command(once: bool, interval: float, min_age: float) -> None:
    """Push the order jobs that are waiting to be queued, every second until SIGTERM/SIGINT."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout,
        format="%(asctime)s %(levelname)s [relay %(process)d] %(message)s",
    )
    relay = Relay(
        current_app.extensions["db"], current_app.extensions["queue"], interval, min_age
    )
    signal.signal(signal.SIGTERM, relay.stop)
    signal.signal(signal.SIGINT, relay.stop)
    relay.run(once=once)


def init_app(app: Flask) -> None:
    """Give app the relay command."""
    app.cli.add_command(relay_command)
