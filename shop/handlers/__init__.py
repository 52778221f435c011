"""The three jobs a worker runs for an order (email, payment, report), and their registry."""

from shop.handlers.registry import build_handlers

__all__ = ["build_handlers"]
