"""The job queue and the web app's Redis client: built by create_app, read by views and services.

Two clients of one Redis, connecting only when used:
- app.extensions["redis"], the worker's, has no read timeout: its blocking pop waits up to a
  second for a job;
- app.extensions["app_redis"], the web app's, gives up within REDIS_*_TIMEOUT. The queue
  the web app and the relay dispatch through uses it, so with Redis down POST /orders still
  answers at once, leaving the order's jobs in the outbox for the relay; the health check,
  the demo and the dashboard use it too, so none of them hangs on a Redis that does not answer.
Each connection is named (CLIENT LIST shows whose it is; the demo's fault panel drops only
this shop's).
"""

from __future__ import annotations

import re

from flask import Flask, current_app
from redis import Redis

from jobs import JobQueue, connect


def client_name(prefix: str, role: str) -> str:
    """Return the name this shop's Redis connections of role carry (CLIENT SETNAME)."""
    # Redis accepts printable ASCII without spaces in a name; a prefix may hold others.
    return re.sub(r"[^!-~]", "_", f"{prefix}{role}")


def init_app(app: Flask) -> None:
    """Give app the worker's Redis client, the web app's, and the job queue on the latter."""
    prefix = app.config["JOBS_PREFIX"]
    app.extensions["redis"] = connect(
        app.config["REDIS_URL"], client_name=client_name(prefix, "worker")
    )
    app.extensions["app_redis"] = connect(
        app.config["REDIS_URL"],
        socket_connect_timeout=app.config["REDIS_CONNECT_TIMEOUT"],
        socket_timeout=app.config["REDIS_SOCKET_TIMEOUT"],
        client_name=client_name(prefix, "app"),
    )
    app.extensions["queue"] = JobQueue(app.extensions["app_redis"], prefix=prefix)


def current_queue() -> JobQueue:
    """Return the current app's JobQueue."""
    queue: JobQueue = current_app.extensions["queue"]
    return queue


def current_redis() -> Redis:
    """Return the current app's Redis client for the web app (short timeouts)."""
    redis: Redis = current_app.extensions["app_redis"]
    return redis
