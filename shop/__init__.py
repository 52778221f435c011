"""The shop: a Flask app that queues its slow work (email, payment, report) for workers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from jobs import JobQueue, connect
from shop import checkout, db, errors, templating, views
from shop.config import instance_path, load_config

__all__ = ["create_app"]

TEMPLATE_FOLDER = Path(__file__).resolve().parent.parent / "templates"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, database, Redis client, job queue, views."""
    app = Flask(
        __name__, instance_path=instance_path(test_config), template_folder=str(TEMPLATE_FOLDER)
    )
    load_config(app, test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    client = connect(app.config["REDIS_URL"])
    app.extensions["redis"] = client
    app.extensions["queue"] = JobQueue(client, prefix=app.config["JOBS_PREFIX"])
    errors.init_app(app)
    templating.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(checkout.bp)
    return app
