"""The exercises' checks use the test suite's fixtures: a real Redis and database, the app."""

from tests.conftest import database_url, prefix, redis, redis_url
from tests.shop.conftest import app, client, runner

__all__ = ["app", "client", "database_url", "prefix", "redis", "redis_url", "runner"]
