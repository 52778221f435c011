"""Placing an order over HTTP: parse the input, then place it once (shop.placement)."""

from __future__ import annotations

from flask import Blueprint, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from shop.csrf import csrf
from shop.errors import json_error
from shop.forms import FormErrors, parse_order_form
from shop.idempotency import StoredResponse
from shop.models import OrderJob
from shop.orders import list_products, place_order
from shop.outbox import record_order_jobs
from shop.placement import KEY_FIELD, KEY_HEADER, place_once
from shop.request_timing import stamp, time_requests
from shop.validation import OrderError, parse_order
from shop.views import render_shop

bp = Blueprint("checkout", __name__)
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

    def place(session: Session) -> tuple[StoredResponse, list[OrderJob]]:
        order_request = parse_order(data)
        order = place_order(session, order_request.email, order_request.lines)
        stamp(order)
        jobs = record_order_jobs(session, order)
        body = {
            "order_id": order.id,
            "status": order.status,
            "jobs": [{"id": job.job_id, "type": job.type, "queue": job.queue} for job in jobs],
        }
        return StoredResponse(201, body, url_for("shop.show_order", order_id=order.id)), jobs

    try:
        return place_once(request.headers.get(KEY_HEADER), {"json": data}, place)
    except OrderError as error:
        return json_error(422, error.field, error.message)


def create_order_from_form() -> ResponseReturnValue:
    """Redirect to the new order's page, or re-render the form with its errors."""
    try:
        csrf.protect()  # here, not before the view: see shop.csrf
    except CSRFError:
        # An expired session or a form from another site: show the form again, with a
        # fresh token, rather than a bare 400.
        return render_shop({"form": "expired; please check your order and place it again"}, 400)

    def place(session: Session) -> tuple[StoredResponse, list[OrderJob]]:
        skus = [product.sku for product in list_products(session)]
        order_request = parse_order_form(request.form, skus)
        order = place_order(session, order_request.email, order_request.lines)
        stamp(order)
        jobs = record_order_jobs(session, order)
        return StoredResponse(303, None, url_for("shop.show_order", order_id=order.id)), jobs

    fields = {name: value for name, value in request.form.items() if name != KEY_FIELD}
    key = request.form.get(KEY_FIELD) or request.headers.get(KEY_HEADER)
    try:
        return place_once(key, {"form": fields}, place)
    except FormErrors as error:
        return render_shop(error.errors, 422)
    except OrderError as error:
        return render_shop({error.field: error.message}, 422)
