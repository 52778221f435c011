"""The shop: a Flask app that queues its slow work (email, payment, report) for workers."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from shop import db, demo, extensions, ops
from shop.config import instance_path, load_config
from shop.orders import checkout, relay
from shop.web import csrf, errors, pages, secret_key, templating

__all__ = ["create_app"]

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_FOLDER = ROOT / "templates"
STATIC_FOLDER = ROOT / "static"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, database, Redis clients and job queue, then each part's routes."""
    app = Flask(
        __name__, instance_path=instance_path(test_config),
        template_folder=str(TEMPLATE_FOLDER), static_folder=str(STATIC_FOLDER),
    )
    load_config(app, test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    secret_key.init_app(app)
    db.init_app(app)
    extensions.init_app(app)
    # The lesson's path: the pages, POST /orders, and the relay for jobs it could not push.
    errors.init_app(app)
    templating.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(checkout.bp)
    relay.init_app(app)
    # Running it: the queue dashboard, /healthz, /metrics, `flask jobs`.
    ops.init_app(app)
    # The demo (404 unless SHOP_DEMO=1): its controls, the faults, POST /orders/sync.
    demo.init_app(app)
    return app
