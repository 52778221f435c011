"""The queue and the Redis clients create_app builds, and how views and services get them."""

from __future__ import annotations

import redis as redis_py
from flask import Flask

from shop.extensions import client_name, current_queue, current_redis
from tests.shop.support import queued_job_ids


def test_a_client_name_is_what_redis_accepts() -> None:
    assert client_name("test:abc:queue:", "app") == "test:abc:queue:app"
    assert client_name("my queue:", "app") == "my_queue:app"


def test_the_queue_dispatches_through_the_web_apps_client(
    app: Flask, redis: redis_py.Redis, prefix: str
) -> None:
    with app.app_context():
        job_id = current_queue().dispatch("emails", "order_confirmation", {"order_id": 1})
        web_client_name = current_redis().client_getname()

    assert queued_job_ids(redis, prefix)["emails"] == [job_id]
    # Named by role, so CLIENT LIST (and the fault panel) can tell the two clients apart
    assert web_client_name == client_name(prefix, "app")
    assert app.extensions["redis"].client_getname() == client_name(prefix, "worker")
