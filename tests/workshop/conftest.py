"""The workshop's tools use the shop's fixtures: the app on the test's database and Redis prefix."""

from tests.shop.conftest import app, client

__all__ = ["app", "client"]
