"""Placing an order over HTTP: parse the input, call the service, commit, then dispatch."""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest

from shop.db import get_session
from shop.errors import json_error
from shop.forms import FormErrors, parse_order_form
from shop.models import Order, OrderJob
from shop.orders import dispatch_order_jobs, list_products, place_order
from shop.validation import OrderError, parse_order
from shop.views import current_queue, render_shop

logger = logging.getLogger(__name__)

bp = Blueprint("checkout", __name__)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def commit_and_dispatch(session: Session, order: Order) -> list[OrderJob]:
    """Commit the order, then queue its jobs and commit their ids."""
    # Commit first: a fast worker must never pop a job for an order it cannot see yet.
    session.commit()
    jobs = dispatch_order_jobs(session, current_queue(), order)
    session.commit()
    logger.info("order %s placed; jobs %s", order.id, ", ".join(job.job_id for job in jobs))
    return jobs


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
    session = get_session()
    try:
        order_request = parse_order(data)
        order = place_order(session, order_request.email, order_request.lines)
    except OrderError as error:
        session.rollback()
        return json_error(422, error.field, error.message)
    jobs = commit_and_dispatch(session, order)
    body = {
        "order_id": order.id,
        "status": order.status,
        "jobs": [{"id": job.job_id, "type": job.type, "queue": job.queue} for job in jobs],
    }
    return body, 201, {"Location": url_for("shop.show_order", order_id=order.id)}


def create_order_from_form() -> ResponseReturnValue:
    """Redirect to the new order's page, or re-render the form with its errors."""
    session = get_session()
    try:
        skus = [product.sku for product in list_products(session)]
        order_request = parse_order_form(request.form, skus)
        order = place_order(session, order_request.email, order_request.lines)
    except FormErrors as error:
        return render_shop(error.errors, 422)
    except OrderError as error:
        session.rollback()
        return render_shop({error.field: error.message}, 422)
    commit_and_dispatch(session, order)
    return redirect(url_for("shop.show_order", order_id=order.id), 303)


