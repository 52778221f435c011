"""Configuration: every default in one place, then environment overrides, then test config."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, current_app

DEFAULTS: dict[str, Any] = {
    # DATABASE_URL and SHOP_OUTBOX_DIR default to paths in the instance folder (load_config),
    # which SHOP_INSTANCE_PATH moves (instance_path).
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    # With Redis Sentinel: the sentinels (host:port,host:port,...) and the master's name;
    # every process then finds the master through them instead of REDIS_URL.
    "REDIS_SENTINELS": None,
    "REDIS_SENTINEL_MASTER": None,
    # With Redis Cluster (REDIS_CLUSTER=1): REDIS_URL names any one of its nodes, and every
    # process finds the others from it. Not with REDIS_SENTINELS: a cluster fails over itself.
    "REDIS_CLUSTER": False,
    # Seconds; only for the client that dispatches (web app, relay, CLI), not the worker's.
    "REDIS_CONNECT_TIMEOUT": 0.25,
    "REDIS_SOCKET_TIMEOUT": 1.0,
    "JOBS_PREFIX": "queue:",
    "JOBS_MAX_ATTEMPTS": 3,
    "JOBS_RETRY_BASE": 60.0,
    "JOBS_JOB_TIMEOUT": 300.0,
    "JOBS_SHUTDOWN_TIMEOUT": 30.0,
    "JOBS_RECOVERY_TIMEOUT": 30.0,
    # How many replicas must acknowledge each dispatch (Redis's WAIT), 0 for none: see
    # docs/guarantees.md for what it buys and costs.
    "JOBS_WAIT_REPLICAS": 0,
    "SHOP_SMTP_HOST": None,
    "SHOP_SMTP_PORT": 25,
    "SHOP_MAIL_FROM": "shop@example.com",
    "SHOP_PAYMENT_LATENCY": 1.5,
    "SHOP_PAYMENT_FAILURE_RATE": 0.0,
    "SHOP_PAYMENT_SEED": None,
    "SHOP_IDEMPOTENCY_TTL": 24 * 60 * 60.0,
    # Demo mode, only when asked for (SHOP_DEMO=1; `make run` asks): the demo controls and
    # the fault panel, which kills processes, are on and the dashboard is open. Without it,
    # production: no demo routes, and the dashboard only with SHOP_DASHBOARD_TOKEN (HTTP
    # basic or bearer). Whoever reaches the app must not get the fault panel by default.
    "SHOP_DEMO": False,
    "SHOP_DASHBOARD_TOKEN": None,
    # Signs the session cookie that carries the CSRF token. Required outside demo mode (the
    # same on every host behind one load balancer); in demo mode, unset: one kept in the
    # instance folder (shop.web.secret_key).
    "SECRET_KEY": None,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # Flask-WTF checks CSRF only where shop.web.csrf says: form posts, never JSON API calls.
    "WTF_CSRF_CHECK_DEFAULT": False,
    "MAX_CONTENT_LENGTH": 64 * 1024,
}


def parse_flag(text: str) -> bool:
    """Read an on/off variable: 0, false, no and off (any case) are off, anything else on."""
    return text.strip().lower() not in ("0", "false", "no", "off")


# Environment variables read at startup, each with the function that parses its text.
ENVIRONMENT: dict[str, Callable[[str], Any]] = {
    "DATABASE_URL": str,
    "REDIS_URL": str,
    "REDIS_SENTINELS": str,
    "REDIS_SENTINEL_MASTER": str,
    "REDIS_CLUSTER": parse_flag,
    "REDIS_CONNECT_TIMEOUT": float,
    "REDIS_SOCKET_TIMEOUT": float,
    "JOBS_PREFIX": str,
    "JOBS_MAX_ATTEMPTS": int,
    "JOBS_RETRY_BASE": float,
    "JOBS_JOB_TIMEOUT": float,
    "JOBS_SHUTDOWN_TIMEOUT": float,
    "JOBS_RECOVERY_TIMEOUT": float,
    "JOBS_WAIT_REPLICAS": int,
    "SHOP_SMTP_HOST": str,
    "SHOP_SMTP_PORT": int,
    "SHOP_MAIL_FROM": str,
    "SHOP_OUTBOX_DIR": str,
    "SHOP_PAYMENT_LATENCY": float,
    "SHOP_PAYMENT_FAILURE_RATE": float,
    "SHOP_PAYMENT_SEED": int,
    "SHOP_IDEMPOTENCY_TTL": float,
    "SHOP_DEMO": parse_flag,
    "SHOP_DASHBOARD_TOKEN": str,
    "SECRET_KEY": str,
    "MAX_CONTENT_LENGTH": int,
}


def is_demo() -> bool:
    """Return True when the current app runs in demo mode (SHOP_DEMO)."""
    return bool(current_app.config["SHOP_DEMO"])


def instance_path(test_config: Mapping[str, Any] | None = None) -> str | None:
    """Return the instance folder from test_config's INSTANCE_PATH or SHOP_INSTANCE_PATH, if set."""
    path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("SHOP_INSTANCE_PATH")
    return os.path.abspath(path) if path else None  # None: Flask's default, ./instance


def load_config(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill app.config from the defaults, the environment, then test_config (last one wins)."""
    app.config.from_mapping(DEFAULTS)
    app.config["DATABASE_URL"] = f"sqlite:///{os.path.join(app.instance_path, 'shop.db')}"
    app.config["SHOP_OUTBOX_DIR"] = os.path.join(app.instance_path, "outbox")
    for name, parse in ENVIRONMENT.items():
        value = os.environ.get(name, "")
        if value:  # an empty variable counts as unset, so `SHOP_SMTP_HOST=` means "no SMTP"
            app.config[name] = parse(value)
    if test_config is not None:
        app.config.from_mapping(test_config)
