"""The shop: a Flask app that queues its slow work (email, payment, report) for workers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from jobs import JobQueue, connect
from shop import (
    checkout,
    csrf,
    dashboard,
    db,
    demo,
    errors,
    health,
    jobs_cli,
    metrics,
    relay,
    secret_key,
    sync_checkout,
    templating,
    views,
)
from shop.config import instance_path, load_config
from shop.faults import client_name

__all__ = ["create_app"]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_FOLDER = ROOT / "templates"
STATIC_FOLDER = ROOT / "static"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, database, Redis client, job queue and its CLI, views."""
    app = Flask(
        __name__, instance_path=instance_path(test_config),
        template_folder=str(TEMPLATE_FOLDER), static_folder=str(STATIC_FOLDER),
    )
    load_config(app, test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    secret_key.init_app(app)
    db.init_app(app)
    prefix = app.config["JOBS_PREFIX"]
    # Two clients of one Redis, connecting only when used. The worker's ("redis") has no read
    # timeout, as its blocking pop waits up to a second for a job. The queue's, which the web app
    # and the relay dispatch through, gives up within REDIS_*_TIMEOUT: with Redis down, POST
    # /orders still answers at once, leaving the order's jobs in the outbox for the relay.
    # Each connection is named (CLIENT LIST shows whose it is; the demo's fault panel drops
    # only this shop's).
    app.extensions["redis"] = connect(
        app.config["REDIS_URL"], client_name=client_name(prefix, "worker")
    )
    dispatcher = connect(
        app.config["REDIS_URL"],
        socket_connect_timeout=app.config["REDIS_CONNECT_TIMEOUT"],
        socket_timeout=app.config["REDIS_SOCKET_TIMEOUT"],
        client_name=client_name(prefix, "app"),
    )
    app.extensions["queue"] = JobQueue(dispatcher, prefix=prefix)
    app.extensions["metrics"] = metrics.build_registry(app.extensions["queue"])
    jobs_cli.init_app(app)
    relay.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    csrf.init_app(app)
    for blueprint in (views.bp, checkout.bp, sync_checkout.bp, demo.bp, dashboard.bp,
                      health.bp, metrics.bp):
        app.register_blueprint(blueprint)
    return app
