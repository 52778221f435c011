"""Validating an order request before it touches the database.

Rules: email required and well-formed; items a non-empty list; each item an object with a
sku string and a quantity that is a whole number from 1 to MAX_QUANTITY (JSON true, 2.0 and
"2" are refused); one line per sku: a duplicate line is rejected, not merged, because it is
most likely a client bug. Whether each sku is a known product is checked by place_order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUANTITY = 100
MAX_EMAIL_LENGTH = 254
# Deliberately simple: something@something.tld; the confirmation email proves the rest.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class OrderError(ValueError):
    """Bad order input; field names the offending field as the client sent it, e.g. items[0].sku."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class OrderLine:
    """One requested product and how many of it."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderRequest:
    """A validated order request, not yet priced."""

    email: str
    lines: list[OrderLine]


def parse_order(data: object) -> OrderRequest:
    """Validate a decoded JSON body: {"email": str, "items": [{"sku": str, "quantity": int}]}."""
    if not isinstance(data, dict):
        raise OrderError("body", "must be a JSON object")
    return OrderRequest(validate_email(data.get("email")), validate_items(data.get("items")))


def validate_email(value: object) -> str:
    """Return the trimmed email address, or raise OrderError naming "email"."""
    if not isinstance(value, str) or not value.strip():
        raise OrderError("email", "is required")
    email = value.strip()
    if len(email) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.fullmatch(email):
        raise OrderError("email", "is not a valid email address")
    return email


def validate_items(value: object) -> list[OrderLine]:
    """Return the order lines, or raise OrderError naming "items" or one item's field."""
    if value is None:
        raise OrderError("items", "is required")
    if not isinstance(value, list):
        raise OrderError("items", "must be a list")
    if not value:
        raise OrderError("items", "must contain at least one item")
    lines = [validate_line(item, f"items[{index}]") for index, item in enumerate(value)]
    first_index: dict[str, int] = {}
    for index, line in enumerate(lines):
        if line.sku in first_index:
            message = f"repeats items[{first_index[line.sku]}]; send one line per product"
            raise OrderError(f"items[{index}].sku", message)
        first_index[line.sku] = index
    return lines


def validate_line(item: object, field: str) -> OrderLine:
    """Return one order line, or raise OrderError naming its field."""
    if not isinstance(item, dict):
        raise OrderError(field, "must be an object with sku and quantity")
    sku = item.get("sku")
    if not isinstance(sku, str) or not sku:
        raise OrderError(f"{field}.sku", "is required")
    return OrderLine(sku, validate_quantity(item.get("quantity"), f"{field}.quantity"))


def validate_quantity(value: object, field: str) -> int:
    """Return value if it is a whole number from 1 to MAX_QUANTITY, else raise OrderError."""
    # bool is a subclass of int, so without this check JSON `true` would order one.
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrderError(field, "must be a whole number")
    if not 1 <= value <= MAX_QUANTITY:
        raise OrderError(field, f"must be between 1 and {MAX_QUANTITY}")
    return value
