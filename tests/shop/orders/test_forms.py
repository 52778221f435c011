"""Reading the HTML checkout form."""

from __future__ import annotations

import pytest

from shop.orders.forms import FormErrors, parse_order_form, quantity_field
from shop.orders.validation import OrderLine

SKUS = ["MUG-ENAMEL", "TEAPOT-IRON", "BISCUITS"]


def test_blank_and_zero_quantities_are_skipped() -> None:
    form = {
        "email": "ada@example.com",
        quantity_field("MUG-ENAMEL"): "2",
        quantity_field("TEAPOT-IRON"): "",
        quantity_field("BISCUITS"): "0",
    }

    request = parse_order_form(form, SKUS)

    assert request.email == "ada@example.com"
    assert request.lines == [OrderLine("MUG-ENAMEL", 2)]


def test_every_bad_field_is_reported_at_once() -> None:
    form = {
        "email": "not-an-email",
        quantity_field("MUG-ENAMEL"): "two",
        quantity_field("TEAPOT-IRON"): "-1",
        quantity_field("BISCUITS"): "1000",
    }

    with pytest.raises(FormErrors) as raised:
        parse_order_form(form, SKUS)

    assert set(raised.value.errors) == {"email"} | {quantity_field(sku) for sku in SKUS}


def test_a_form_without_any_quantity_names_items() -> None:
    with pytest.raises(FormErrors) as raised:
        parse_order_form({"email": "ada@example.com"}, SKUS)

    assert set(raised.value.errors) == {"items"}


def test_a_missing_email_is_reported_alongside_no_items() -> None:
    with pytest.raises(FormErrors) as raised:
        parse_order_form({}, SKUS)

    assert set(raised.value.errors) == {"email", "items"}
