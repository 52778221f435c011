"""The requests of the POST /orders load: a JSON order, or the checkout form posted synchronously.

The form post is what a browser sends: it carries the session cookie and the CSRF token that
GET / put in the page, read once here as a non-browser client must. The app's protection
stays as it is; the benchmark only plays the browser's part.
"""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlencode

from bench.load_generator import LoadRequest

EMAIL, SKU, QUANTITY = "load@example.com", "TEA-SENCHA", 1
ORDER = {"email": EMAIL, "items": [{"sku": SKU, "quantity": QUANTITY}]}
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')

QUEUED_ORDER = LoadRequest(
    "/orders", json.dumps(ORDER).encode(),
    {"Content-Type": "application/json", "Accept": "application/json"}, expected_status=201,
)


class NoCheckoutForm(RuntimeError):
    """GET / gave no CSRF token or no session cookie."""


def synchronous_order(port: int) -> LoadRequest:
    """The checkout form as posted by its "Place order synchronously" button (a 303 answers it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        page = response.read().decode("utf-8")
        cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
    finally:
        connection.close()
    token = TOKEN_FIELD.search(page)
    if token is None or not cookie:
        raise NoCheckoutForm(f"GET / answered {response.status} without a CSRF token or cookie")
    form = {"csrf_token": token.group(1), "email": EMAIL, f"quantity-{SKU}": str(QUANTITY)}
    return LoadRequest(
        "/orders/sync", urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
        expected_status=303,
    )
