"""Running the shop: the queue dashboard, /healthz, /metrics, the `flask jobs` commands, and
a warning at start when Redis's settings may lose jobs."""

from __future__ import annotations

from flask import Blueprint, Flask

from shop.ops import dashboard, health, jobs_cli, metrics, redis_settings


def init_app(app: Flask) -> None:
    """Give app the operations' routes (endpoints "ops.*"), its metrics and the jobs commands."""
    bp = Blueprint("ops", __name__)
    # Blueprints of their own inside: only the dashboard's needs its token.
    for part in (dashboard.bp, health.bp, metrics.bp):
        bp.register_blueprint(part)
    app.register_blueprint(bp)
    app.extensions["metrics"] = metrics.build_registry(app.extensions["queue"])
    jobs_cli.init_app(app)
    redis_settings.warn_at_start(app)
