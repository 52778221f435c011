"""`make reset`: the shop's database and its Redis keys, emptied together."""

from __future__ import annotations

from pathlib import Path

import redis as redis_py
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from devtools.reset import REDIS_URL_FILE, reset, running_redis_url
from jobs import connect_cluster
from shop import create_app
from shop.models import Order, Product

ORDER = {"email": "ada@example.com", "items": [{"sku": "TEA-SENCHA", "quantity": 1}]}


def count(app: Flask, model: type[Order] | type[Product]) -> int:
    with app.extensions["db"].sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_reset_empties_the_database_and_the_redis_keys_and_seeds_the_products(
    app: Flask, client: FlaskClient, redis: redis_py.Redis, redis_url: str, prefix: str
) -> None:
    # Given an order, saved with its jobs queued
    assert client.post("/orders", json=ORDER).status_code == 201
    assert list(redis.scan_iter(match=f"{prefix}*"))

    # When the demo is reset
    done = reset(app, redis_url)

    # Then no order and no key is left, and the products are there to order again
    assert count(app, Order) == 0
    assert count(app, Product) > 0
    assert list(redis.scan_iter(match=f"{prefix}*")) == []
    assert any("deleted" in line for line in done), done
    # And a new order gets id 1 again
    assert client.post("/orders", json=ORDER).get_json()["order_id"] == 1


def test_the_redis_of_make_run_is_found_by_the_file_it_leaves(app: Flask) -> None:
    url_file = Path(app.instance_path) / REDIS_URL_FILE
    assert running_redis_url(app, None) is None
    url_file.parent.mkdir(parents=True)
    url_file.write_text("redis://127.0.0.1:41234/0\n")

    assert running_redis_url(app, None) == "redis://127.0.0.1:41234/0"
    assert running_redis_url(app, "redis://elsewhere:6379/0") == "redis://elsewhere:6379/0"


def test_reset_on_a_cluster_deletes_the_keys_on_every_node(
    app: Flask, redis_cluster_url: str, prefix: str
) -> None:
    # Given the shop on a Redis Cluster, with keys under its prefix on every primary
    cluster_app = create_app(app.config | {"REDIS_URL": redis_cluster_url, "REDIS_CLUSTER": True})
    client = connect_cluster(redis_cluster_url)
    names = [f"{prefix}{i}" for i in range(30)]
    for name in names:
        client.set(name, "x")
    assert len({client.get_node_from_key(name).name for name in names}) == 3

    # When the demo is reset
    done = reset(cluster_app, redis_cluster_url)

    # Then none is left, on any node
    assert list(client.scan_iter(match=f"{prefix}*")) == []
    assert any("deleted 30 keys" in line for line in done), done
    for extension in ("redis", "app_redis"):
        cluster_app.extensions[extension].close()
    cluster_app.extensions["db"].engine.dispose()
    client.close()
