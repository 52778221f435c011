"""Placing an order: validate it, store it with its jobs, push them once it is committed."""

from shop.orders.services import SHOP_QUEUES

__all__ = ["SHOP_QUEUES"]
