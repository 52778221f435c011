"""The worker process (the lesson's worker.php): `python worker.py [--queue NAME]... [--burst]`.

`--lesson` runs the lesson's own loop instead (jobs/lesson_worker.py), bugs and all.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from jobs import Worker
from jobs.keys import check_queue_name
from jobs.lesson_worker import LessonWorker
from shop import create_app
from shop.handlers import build_handlers
from shop.orders import SHOP_QUEUES
from shop.orders.relay import INTERVAL_SECONDS, MIN_AGE_SECONDS, Relay


def queue_name(value: str) -> str:
    """argparse type: a valid queue name, or a message saying why not."""
    try:
        return check_queue_name(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run jobs from the shop's Redis queues.")
    parser.add_argument(
        "--queue", action="append", type=queue_name, metavar="NAME",
        help=f"a queue to serve, in priority order; repeatable (default: {' '.join(SHOP_QUEUES)})",
    )
    parser.add_argument(
        "--burst", action="store_true", help="run until the queues are empty, then exit"
    )
    parser.add_argument(
        "--shutdown-timeout", type=float, metavar="SECONDS",
        help="on SIGTERM, how long the running job may take before it goes back on its "
        "queue (default: JOBS_SHUTDOWN_TIMEOUT, 30)",
    )
    parser.add_argument(
        "--lesson", action="store_true",
        help="run the lesson's worker loop as the lesson writes it (BLPOP: a killed worker "
        "loses its job); for the workshop, never for real work",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout,
        format="%(asctime)s %(levelname)s [worker %(process)d] %(message)s",
    )
    app = create_app()
    if args.lesson:
        lesson = LessonWorker(
            app.extensions["redis"], handlers=build_handlers(app),
            max_attempts=app.config["JOBS_MAX_ATTEMPTS"], retry_base=app.config["JOBS_RETRY_BASE"],
            prefix=app.config["JOBS_PREFIX"],
        )
        lesson.run(args.queue or SHOP_QUEUES, burst=args.burst)
        return 0
    worker = Worker(
        app.extensions["redis"],
        handlers=build_handlers(app),
        max_attempts=app.config["JOBS_MAX_ATTEMPTS"],
        retry_base=app.config["JOBS_RETRY_BASE"],
        prefix=app.config["JOBS_PREFIX"],
        job_timeout=app.config["JOBS_JOB_TIMEOUT"],
        shutdown_timeout=(
            app.config["JOBS_SHUTDOWN_TIMEOUT"]
            if args.shutdown_timeout is None
            else args.shutdown_timeout
        ),
        recovery_timeout=app.config["JOBS_RECOVERY_TIMEOUT"],
    )
    if args.burst:
        worker.run(args.queue or SHOP_QUEUES, burst=True)
        return 0
    with relaying(app):
        worker.run(args.queue or SHOP_QUEUES)
    return 0


@contextmanager
def relaying(app: Flask) -> Iterator[None]:
    """Relay the outbox in a thread while the worker runs: with only the web app and workers
    running, as in the lesson, an order whose jobs Redis refused still gets them queued.
    One process at a time makes a pass (RelayLock), however many workers run."""
    relay = Relay(app.extensions["db"], app.extensions["queue"], INTERVAL_SECONDS,
                  MIN_AGE_SECONDS)
    thread = threading.Thread(target=relay.run, name="relay", daemon=True)
    thread.start()
    try:
        yield
    finally:
        relay.stopping.set()
        thread.join(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
