"""Development tooling, not part of the shop: the embedded Redis of `make run` and the tests."""
