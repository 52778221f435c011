"""Redis memory per job: waiting, succeeded (its state kept a week) and failed.

`python -m bench.memory [--orders 10000]` starts a redis-server of its own (or uses
`--redis-url`), dispatches the jobs of --orders orders (one of each of the shop's three
kinds, with the shop's ids and payloads), runs them with a Worker in burst mode, then
dispatches --orders payments that always fail and runs them too (3 attempts, no backoff).
After each step it reads Redis's `used_memory` and prints what each job added. It uses only
the queue's public API (JobQueue, Worker), so it measures whatever key layout the queue has.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import uuid
from collections.abc import Mapping
from typing import Any

import redis

from bench.redis_server import start_bench_redis
from jobs import JobHandler, JobQueue, Worker, connect
from shop.orders.outbox import order_job_id
from shop.orders.services import JOB_QUEUES, order_payload

PAYMENT = "process_payment"
QUEUES = sorted(set(JOB_QUEUES.values()))


class Succeed:
    """A handler that does nothing: the job succeeds."""

    def handle(self, payload: dict[str, Any]) -> None:
        return None


class Decline:
    """A handler that always fails, with an error the size of the shop's declined payment."""

    def handle(self, payload: dict[str, Any]) -> None:
        raise RuntimeError(f"payment gateway declined order {payload['order_id']} "
                           "(890 cents): simulated failure")


def used_memory(client: redis.Redis) -> int:
    """Bytes Redis has allocated now (INFO memory's used_memory)."""
    return int(client.info("memory")["used_memory"])


def dispatch_orders(queue: JobQueue, orders: int, kinds: Mapping[str, str]) -> int:
    """Dispatch one job of each kind (handler -> queue) per order, as the shop's outbox
    does; return how many jobs."""
    for order_id in range(1, orders + 1):
        public_id = secrets.token_hex(8)
        for handler, queue_name in kinds.items():
            queue.dispatch(queue_name, handler, order_payload(order_id),
                           job_id=order_job_id(public_id, handler))
    return orders * len(kinds)


def run_burst(client: redis.Redis, prefix: str, handlers: Mapping[str, JobHandler]) -> None:
    """Run every job until the queues are empty: a failing one 3 times, with no backoff."""
    worker = Worker(client, handlers, max_attempts=3, retry_base=0.0, retry_jitter=0.0,
                    prefix=prefix)
    worker.run(QUEUES, burst=True)


def measure(client: redis.Redis, prefix: str, orders: int) -> dict[str, tuple[int, int]]:
    """Each row: (jobs, bytes they added to used_memory)."""
    queue = JobQueue(client, prefix)
    succeed = dict.fromkeys(JOB_QUEUES, Succeed())
    before = used_memory(client)
    waiting = dispatch_orders(queue, orders, JOB_QUEUES)
    with_waiting = used_memory(client)
    run_burst(client, prefix, succeed)
    with_succeeded = used_memory(client)
    failed = dispatch_orders(queue, orders, {PAYMENT: JOB_QUEUES[PAYMENT]})
    run_burst(client, prefix, {PAYMENT: Decline()})
    with_failed = used_memory(client)
    return {
        "waiting (in its queue, with its state hash)": (waiting, with_waiting - before),
        "succeeded (its state hash, kept a week)": (waiting, with_succeeded - before),
        "failed (failed-list entry and state hash, 3 attempts)": (failed,
                                                                   with_failed - with_succeeded),
    }


def warm_up(client: redis.Redis, prefix: str) -> None:
    """Load the queue's scripts into Redis, so their memory counts for no row."""
    measure(client, prefix, 1)
    delete_keys(client, prefix)


def delete_keys(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


def print_table(rows: Mapping[str, tuple[int, int]], version: str) -> None:
    print(f"Redis {version}, used_memory before and after each step:")
    print()
    print("| a job | jobs | bytes added | bytes per job |")
    print("| --- | ---: | ---: | ---: |")
    for what, (jobs, added) in rows.items():
        print(f"| {what} | {jobs:,} | {added:,} | {added / jobs:,.0f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000,
                        help="orders: one job of each of the shop's three kinds per order")
    parser.add_argument("--redis-url", help="a Redis to use (default: one of its own)")
    args = parser.parse_args(argv)
    # The failing payments log an error per attempt: thousands of lines that say nothing.
    logging.disable(logging.ERROR)
    server = None if args.redis_url else start_bench_redis()
    client = connect(server.url if server is not None else args.redis_url)
    prefix = f"bench-memory:{uuid.uuid4().hex[:8]}:"
    try:
        warm_up(client, prefix + "warm-up:")
        rows = measure(client, prefix, args.orders)
        print_table(rows, str(client.info("server")["redis_version"]))
    finally:
        delete_keys(client, prefix)
        client.close()
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
