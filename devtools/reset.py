"""Put the demo back to empty: the shop's database and its keys in Redis, together."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from jobs import RedisClient
from shop.columns import Base
from shop.db import Database, init_db
from shop.extensions import redis_client

# Where run.py leaves the address of the Redis it started, while that Redis runs.
REDIS_URL_FILE = Path("redis") / "url"


def running_redis_url(app: Flask, environ_url: str | None) -> str | None:
    """The Redis the shop uses now: REDIS_URL if set, else the one `make run` started."""
    if environ_url:
        return environ_url
    url_file = Path(app.instance_path) / REDIS_URL_FILE
    return url_file.read_text().strip() if url_file.exists() else None


def empty_redis(redis: RedisClient, prefix: str) -> int:
    """Delete every key under prefix (on a cluster, on every node); return how many."""
    keys = list(redis.scan_iter(match=f"{prefix}*", count=1000))
    return int(redis.delete(*keys)) if keys else 0


def empty_database(database: Database) -> None:
    """Drop every table, then migrate and seed again, as init-db does."""
    Base.metadata.drop_all(database.engine)
    with database.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    init_db(database)


def reset(app: Flask, environ_url: str | None) -> list[str]:
    """Empty the shop's Redis keys and database; return what was done, line by line."""
    done = []
    url = running_redis_url(app, environ_url)
    if url is not None:
        # The shop's own kind of client: a cluster's, or one through the sentinels, if so set.
        client = redis_client({**app.config, "REDIS_URL": url}, "reset")
        try:
            count = empty_redis(client, app.config["JOBS_PREFIX"])
        finally:
            client.close()
        done.append(f"Redis at {url}: deleted {count} keys under {app.config['JOBS_PREFIX']}")
    else:  # no Redis runs: the one `make run` starts will start empty
        shutil.rmtree(Path(app.instance_path) / "redis", ignore_errors=True)
        done.append("Redis: not running; removed the data of the one `make run` starts")
    empty_database(app.extensions["db"])
    done.append(f"database {app.extensions['db'].engine.url.render_as_string()}: emptied "
                "and seeded again")
    return done
