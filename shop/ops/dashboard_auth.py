"""Who may see the queue dashboard: anyone in demo mode; in production, the token's holder.

Under SHOP_DEMO=0 the dashboard needs SHOP_DASHBOARD_TOKEN, sent as a bearer token
(`Authorization: Bearer <token>`, for scripts) or as the password of HTTP basic auth (any
user name, for browsers). Without a configured token every dashboard page and action is
refused: a dashboard that can delete jobs must never be open by accident. Its forms carry
CSRF tokens too, since a browser sends basic credentials with a forged post as it would
a cookie.
"""

from __future__ import annotations

import hmac

from flask import current_app, make_response, request
from flask.typing import ResponseReturnValue

from shop.config import is_demo
from shop.web.errors import error_response

REALM = 'Basic realm="Queue dashboard", charset="UTF-8"'


def presented_token() -> str | None:
    """Return the bearer token or the basic password the request carries, if any."""
    auth = request.authorization
    if auth is None:
        return None
    return auth.token if auth.type == "bearer" else auth.password


def require_dashboard_access() -> ResponseReturnValue | None:
    """Let the request through (None), or answer 403 (no token configured) or 401."""
    if is_demo():
        return None
    token = current_app.config["SHOP_DASHBOARD_TOKEN"]
    if not token:
        return error_response(403, None, "The dashboard is off: set SHOP_DASHBOARD_TOKEN.")
    presented = presented_token()
    if presented is not None and hmac.compare_digest(presented.encode(), token.encode()):
        return None
    response = make_response(error_response(401, "Authorization", "The dashboard needs its token."))
    response.headers["WWW-Authenticate"] = REALM  # so a browser asks for the password
    return response
