"""GET /healthz: 200 when the database and Redis answer, else 503 naming what is down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from devtools.embedded_redis import free_port
from shop import create_app


def test_both_up(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    # The suite's Redis may be anyone's (REDIS_URL): its risks are tested on Redis of their own
    assert response.json | {"redis_risks": []} == {
        "database": "ok", "redis": "ok", "redis_risks": []
    }


@pytest.fixture
def broken(app: Flask, tmp_path: Path) -> Iterator[Any]:
    """build(**overrides): the app's config with a part pointed at nothing that answers."""
    built: list[Flask] = []

    def build(**overrides: Any) -> FlaskClient:
        broken_app = create_app(app.config | {"REDIS_CONNECT_TIMEOUT": 0.1} | overrides)
        built.append(broken_app)
        return broken_app.test_client()

    yield build
    for each in built:
        each.extensions["app_redis"].close()
        each.extensions["db"].engine.dispose()


def test_redis_down(broken: Any) -> None:
    client = broken(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")

    response = client.get("/healthz")

    assert (response.status_code, response.json) == (503, {"database": "ok", "redis": "down",
                                                          "redis_risks": []})


def test_database_down(broken: Any, tmp_path: Path) -> None:
    client = broken(DATABASE_URL=f"sqlite:///{tmp_path / 'no such folder' / 'shop.db'}")

    response = client.get("/healthz")

    assert (response.status_code, response.json) == (503, {"database": "down", "redis": "ok",
                                                          "redis_risks": []})
