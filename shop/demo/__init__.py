"""The demo, which a learner may skip: controls, faults, the synchronous checkout, its panel.

Nothing outside this package imports it; create_app registers it here. Every route of it
exists only in demo mode (SHOP_DEMO=1, which `make run` sets): otherwise each answers 404.
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Flask

from shop.demo import controls, lesson_worker, sync_checkout
from shop.demo.mode import demo_only
from shop.demo.panel import load_demo_panel
from shop.demo.settings import read_payment_settings


def init_app(app: Flask) -> None:
    """Give app the demo's routes (endpoints "demo.*"), its panel, and its payment settings."""
    bp = demo_only(Blueprint("demo", __name__))
    bp.register_blueprint(controls.bp)  # /demo/...
    bp.register_blueprint(sync_checkout.bp)  # POST /orders/sync
    bp.register_blueprint(lesson_worker.bp)  # /demo/lesson-worker/...
    app.register_blueprint(bp)
    # A function, not a value: a page reads the panel (Redis, the database) only if it shows it.
    app.add_template_global(load_demo_panel, "load_demo_panel")
    if app.config["SHOP_DEMO"]:
        # Every charge reads the settings the demo controls change (shop.handlers.registry).
        redis, prefix = app.extensions["app_redis"], app.config["JOBS_PREFIX"]
        app.extensions["demo_payment_settings"] = partial(read_payment_settings, redis, prefix)
