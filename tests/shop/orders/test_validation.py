"""Validating order requests, without a database."""

from __future__ import annotations

from typing import Any

import pytest

from shop.orders.validation import MAX_QUANTITY, OrderError, OrderLine, parse_order, validate_email

VALID_ITEM = {"sku": "MUG-ENAMEL", "quantity": 1}


def test_a_valid_request_is_parsed_into_lines() -> None:
    request = parse_order({
        "email": "  ada@example.com ",
        "items": [{"sku": "MUG-ENAMEL", "quantity": 2}, {"sku": "BISCUITS", "quantity": 100}],
    })

    assert request.email == "ada@example.com"
    assert request.lines == [OrderLine("MUG-ENAMEL", 2), OrderLine("BISCUITS", 100)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (["not", "an", "object"], "body"),
        ("text", "body"),
        (None, "body"),
        ({"items": [VALID_ITEM]}, "email"),
        ({"email": "", "items": [VALID_ITEM]}, "email"),
        ({"email": 42, "items": [VALID_ITEM]}, "email"),
        ({"email": "no-at-sign", "items": [VALID_ITEM]}, "email"),
        ({"email": "two@@example.com", "items": [VALID_ITEM]}, "email"),
        ({"email": "ada@localhost", "items": [VALID_ITEM]}, "email"),
        ({"email": "ada @example.com", "items": [VALID_ITEM]}, "email"),
        ({"email": "a" * 250 + "@example.com", "items": [VALID_ITEM]}, "email"),
        ({"email": "ada@example.com"}, "items"),
        ({"email": "ada@example.com", "items": []}, "items"),
        ({"email": "ada@example.com", "items": {"sku": "MUG-ENAMEL"}}, "items"),
        ({"email": "ada@example.com", "items": ["MUG-ENAMEL"]}, "items[0]"),
        ({"email": "ada@example.com", "items": [{"quantity": 1}]}, "items[0].sku"),
        ({"email": "ada@example.com", "items": [{"sku": 7, "quantity": 1}]}, "items[0].sku"),
        ({"email": "ada@example.com", "items": [{"sku": "MUG-ENAMEL"}]}, "items[0].quantity"),
    ],
)
def test_bad_requests_name_the_field(data: Any, field: str) -> None:
    with pytest.raises(OrderError) as raised:
        parse_order(data)

    assert raised.value.field == field


@pytest.mark.parametrize("quantity", [0, -1, MAX_QUANTITY + 1, 10**30, True, False, 2.0, 2.5, "2"])
def test_a_quantity_must_be_a_whole_number_from_1_to_the_maximum(quantity: Any) -> None:
    items = [VALID_ITEM, {"sku": "TEAPOT", "quantity": quantity}]
    data = {"email": "ada@example.com", "items": items}

    with pytest.raises(OrderError) as raised:
        parse_order(data)

    assert raised.value.field == "items[1].quantity"


def test_a_duplicate_sku_line_is_rejected_not_merged() -> None:
    items = [VALID_ITEM, {"sku": "TEAPOT", "quantity": 1}, {"sku": "MUG-ENAMEL", "quantity": 3}]

    with pytest.raises(OrderError) as raised:
        parse_order({"email": "ada@example.com", "items": items})

    assert raised.value.field == "items[2].sku"
    assert "items[0]" in raised.value.message


def test_an_order_error_reads_as_field_and_message() -> None:
    with pytest.raises(OrderError, match=r"^email: is required$"):
        validate_email(None)
