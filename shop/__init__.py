"""The shop: a Flask app that queues its slow work (email, payment, report) for workers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from shop import (
    checkout,
    csrf,
    dashboard,
    db,
    demo,
    errors,
    extensions,
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
    extensions.init_app(app)
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
