"""The HTML checkout form: an email field and one quantity field per product."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shop.orders.validation import (
    OrderError,
    OrderLine,
    OrderRequest,
    validate_email,
    validate_quantity,
)


class FormErrors(ValueError):
    """The form had bad fields; errors maps each input's name to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def quantity_field(sku: str) -> str:
    """Return the name of the form input holding sku's quantity."""
    return f"quantity-{sku}"


def read_quantity(text: str, field: str) -> int:
    """Return the quantity typed into a field, 0 when blank."""
    if not text.strip():
        return 0
    try:
        quantity = int(text)
    except ValueError:
        raise OrderError(field, "must be a whole number") from None
    return 0 if quantity == 0 else validate_quantity(quantity, field)


def parse_order_form(form: Mapping[str, str], skus: Iterable[str]) -> OrderRequest:
    """Validate the form, raising FormErrors with a message for every bad field at once."""
    errors: dict[str, str] = {}
    email = ""
    lines: list[OrderLine] = []
    try:
        email = validate_email(form.get("email", ""))
    except OrderError as error:
        errors[error.field] = error.message
    for sku in skus:
        try:
            quantity = read_quantity(form.get(quantity_field(sku), ""), quantity_field(sku))
        except OrderError as error:
            errors[error.field] = error.message
            continue
        if quantity:
            lines.append(OrderLine(sku, quantity))
    quantity_errors = [field for field in errors if field != "email"]
    if not lines and not quantity_errors:
        errors["items"] = "choose a quantity for at least one product"
    if errors:
        raise FormErrors(errors)
    return OrderRequest(email, lines)
