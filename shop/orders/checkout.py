"""POST /orders: parse the JSON body or the checkout form, then place the order once."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest

from shop.db import get_session
from shop.orders.forms import FormErrors, parse_order_form
from shop.orders.placement import (
    FORM_CHECKOUT,
    JSON_CHECKOUT,
    KEY_FIELD,
    KEY_HEADER,
    Checkout,
    Placed,
    place_once,
)
from shop.orders.request_timing import time_requests
from shop.orders.services import list_products
from shop.orders.validation import OrderError, parse_order
from shop.web.csrf import csrf
from shop.web.errors import json_error
from shop.web.pages import render_shop

bp = Blueprint("orders", __name__)
time_requests(bp)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@bp.post("/orders")
def create_order() -> ResponseReturnValue:
    """Place an order from a JSON body or the checkout form."""
    if request.is_json:
        return create_order_from_json()
    if request.mimetype in FORM_TYPES:
        return create_order_from_form()
    # Neither JSON nor a form: not a browser, so answer in JSON whatever it accepts.
    return json_error(415, "Content-Type", "must be application/json or a form")


def create_order_from_json() -> ResponseReturnValue:
    """Answer 201 with the order's id and jobs, or 4xx naming the bad field."""
    try:
        data = request.get_json()
    except BadRequest:
        return json_error(400, "body", "is not valid JSON")
    try:
        order_request = parse_order(data)
        return place_once(order_request, data, request.headers.get(KEY_HEADER),
                          JSON_CHECKOUT).response
    except OrderError as error:
        return json_error(422, error.field, error.message)


def create_order_from_form() -> ResponseReturnValue:
    """Redirect to the new order's page, or re-render the form with its errors."""
    try:
        csrf.protect()  # here, not before the view: see shop.web.csrf
    except CSRFError:
        # An expired session or a form from another site: show the form again, with a
        # fresh token, rather than a bare 400.
        return render_shop({"form": "expired; please check your order and place it again"}, 400)
    key = request.form.get(KEY_FIELD) or request.headers.get(KEY_HEADER)
    return place_from_form(key, FORM_CHECKOUT).response


def place_from_form(key: str | None, checkout: Checkout) -> Placed:
    """Place the order the checkout form asks for, or show the form again with its errors."""
    fields = {name: value for name, value in request.form.items() if name != KEY_FIELD}
    skus = [product.sku for product in list_products(get_session())]
    try:
        return place_once(parse_order_form(request.form, skus), fields, key, checkout)
    except FormErrors as error:
        return Placed(render_shop(error.errors, 422))
    except OrderError as error:
        return Placed(render_shop({error.field: error.message}, 422))
