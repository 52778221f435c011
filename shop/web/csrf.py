"""CSRF protection (Flask-WTF): every form post carries a token; JSON API calls need none.

Why JSON is exempt: a page on another site can make a browser post a form (urlencoded,
multipart or text/plain) here with the user's cookies, and nothing but a token tells that
post from the user's own. It cannot send `Content-Type: application/json`: that needs a
CORS preflight this app never grants. So a JSON request is never a forged one, and API
clients (curl, other services) keep working without a session or a token.
"""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Endpoints that call csrf.protect() themselves once they know the body is a form:
# POST /orders answers a body that is neither JSON nor a form with 415, token or not.
CHECKED_IN_VIEW = frozenset({"orders.create_order"})

csrf = CSRFProtect()


def needs_token() -> bool:
    """Return True for a request that may change state and is not a JSON API call."""
    if request.method in SAFE_METHODS or request.is_json:
        return False
    return request.endpoint not in CHECKED_IN_VIEW


def protect_forms() -> None:
    """Refuse (400) a state-changing request that is not JSON and has no valid token."""
    if needs_token():
        csrf.protect()


def init_app(app: Flask) -> None:
    """Turn on CSRF protection for every form post of app."""
    csrf.init_app(app)  # with WTF_CSRF_CHECK_DEFAULT off, it checks only when asked
    app.before_request(protect_forms)
