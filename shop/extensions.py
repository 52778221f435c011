"""The job queue and the web app's Redis client: built by create_app, read by views and services.

Two clients of one Redis, connecting only when used:
- app.extensions["redis"], the worker's, has no read timeout: its blocking pop waits up to a
  second for a job;
- app.extensions["app_redis"], the web app's, gives up within REDIS_*_TIMEOUT. The queue
  the web app and the relay dispatch through uses it, so with Redis down POST /orders still
  answers at once, leaving the order's jobs in the outbox for the relay; the health check,
  the demo and the dashboard use it too, so none of them hangs on a Redis that does not answer.
Each connection is named (CLIENT LIST shows whose it is; the demo's fault panel drops only
this shop's). With REDIS_CLUSTER on, each is a Redis Cluster client, which connects at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from jobs import JobQueue, RedisClient, connect, connect_cluster, connect_sentinel
from shop.orders.services import SHOP_QUEUES


def client_name(prefix: str, role: str) -> str:
    """Return the name this shop's Redis connections of role carry (CLIENT SETNAME)."""
    # Redis accepts printable ASCII without spaces in a name; a prefix may hold others.
    return re.sub(r"[^!-~]", "_", f"{prefix}{role}")


def init_app(app: Flask) -> None:
    """Give app the worker's Redis client, the web app's, and the job queue on the latter."""
    config = app.config
    app.extensions["redis"] = redis_client(config, "worker")
    app.extensions["app_redis"] = redis_client(
        config, "app", socket_connect_timeout=config["REDIS_CONNECT_TIMEOUT"],
        socket_timeout=config["REDIS_SOCKET_TIMEOUT"],
    )
    app.extensions["queue"] = JobQueue(
        app.extensions["app_redis"], prefix=config["JOBS_PREFIX"], queues=SHOP_QUEUES,
        wait_replicas=config["JOBS_WAIT_REPLICAS"],
    )


def redis_client(config: Mapping[str, Any], role: str, **options: Any) -> RedisClient:
    """A client of the queue's Redis: through the sentinels if REDIS_SENTINELS is set, of
    the cluster REDIS_URL is a node of if REDIS_CLUSTER is on, else at REDIS_URL.

    Only the cluster's connects at once, to learn which node holds which keys; the others
    connect on their first command.
    """
    name = client_name(config["JOBS_PREFIX"], role)
    if config["REDIS_CLUSTER"]:
        if config["REDIS_SENTINELS"]:
            raise ValueError(
                "REDIS_CLUSTER and REDIS_SENTINELS are both set: a Redis Cluster fails over "
                "without sentinels; set REDIS_URL to one of its nodes and unset REDIS_SENTINELS"
            )
        if config["JOBS_WAIT_REPLICAS"]:
            raise ValueError(
                "JOBS_WAIT_REPLICAS is not supported with REDIS_CLUSTER: redis-py sends WAIT "
                "to one node of the cluster, not to the one that took the job; unset it"
            )
        return connect_cluster(config["REDIS_URL"], client_name=name, **options)
    if not config["REDIS_SENTINELS"]:
        return connect(config["REDIS_URL"], client_name=name, **options)
    if not config["REDIS_SENTINEL_MASTER"]:
        raise ValueError("REDIS_SENTINELS is set: REDIS_SENTINEL_MASTER must name the master")
    sentinels = parse_sentinels(config["REDIS_SENTINELS"])
    return connect_sentinel(sentinels, config["REDIS_SENTINEL_MASTER"], client_name=name,
                            **options)


def parse_sentinels(text: str) -> list[tuple[str, int]]:
    """Read REDIS_SENTINELS, `host:port,host:port,...`, or raise ValueError saying why not."""
    sentinels = []
    for item in text.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"REDIS_SENTINELS: {item.strip()!r} is not host:port")
        sentinels.append((host, int(port)))
    return sentinels


def current_queue() -> JobQueue:
    """Return the current app's JobQueue."""
    queue: JobQueue = current_app.extensions["queue"]
    return queue


def current_redis() -> RedisClient:
    """Return the current app's Redis client for the web app (short timeouts)."""
    redis: RedisClient = current_app.extensions["app_redis"]
    return redis
