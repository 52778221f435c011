"""Demo mode: no demo route exists under the production setting; redirects stay on this site."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from shop import create_app
from tests.shop.support import csrf_token, post_form


def test_the_next_page_must_be_on_this_site(client: FlaskClient) -> None:
    form = {"latency_seconds": "1", "failure_percent": "0", "next": "//evil.example/"}

    response = post_form(client, "/demo/payment", form)

    assert response.headers["Location"] == "/"


def test_under_the_production_setting_there_are_no_demo_controls(app: Flask) -> None:
    production = create_app(app.config | {"SHOP_DEMO": False})
    client = production.test_client()
    token = csrf_token(client)

    page = client.get("/").text
    assert "Demo controls" not in page and "synchronously" not in page
    for path in ("/demo/payment", "/demo/faults/kill-worker", "/demo/faults/malformed",
                 "/demo/faults/reconnect", "/orders/sync"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
    assert client.get("/demo/invariant").status_code == 404
    production.extensions["redis"].close()
    production.extensions["app_redis"].close()
    production.extensions["db"].engine.dispose()
