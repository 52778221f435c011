"""The pages and JSON a client reads: the shop, an order, a report."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from jobs import JobQueue
from shop.db import get_session
from shop.errors import error_response, wants_json
from shop.forms import quantity_field
from shop.models import Report
from shop.orders import list_products
from shop.summary import summarize_order

bp = Blueprint("shop", __name__)


def current_queue() -> JobQueue:
    """Return the app's JobQueue."""
    queue: JobQueue = current_app.extensions["queue"]
    return queue


def render_shop(errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    """Render the shop page with its checkout form, re-filled from the request if posted."""
    products = list_products(get_session())
    labels = {"email": "Email", "items": "Products"}
    labels |= {quantity_field(product.sku): product.name for product in products}
    return render_template(
        "shop.html", products=products, errors=errors or {}, labels=labels, form=request.form,
        quantity_field=quantity_field,
    ), status


@bp.get("/")
def index() -> ResponseReturnValue:
    """Show the shop page: products, prices and the checkout form."""
    return render_shop()


@bp.get("/products")
def products() -> ResponseReturnValue:
    """List the products as JSON, or show a browser the shop page."""
    if not wants_json():
        return render_shop()
    return [
        {"sku": product.sku, "name": product.name, "price_cents": product.price_cents}
        for product in list_products(get_session())
    ]


@bp.get("/orders/<int:order_id>")
def show_order(order_id: int) -> ResponseReturnValue:
    """Show an order with its jobs' states, as JSON or HTML."""
    summary = summarize_order(get_session(), current_queue(), order_id)
    if summary is None:
        return error_response(404, "order_id", f"no order has id {order_id}")
    if wants_json():
        report_id = summary.report_id
        report_url = url_for("shop.show_report", report_id=report_id) if report_id else None
        return summary.to_dict() | {"report_url": report_url}
    return render_template("order.html", summary=summary)


@bp.get("/reports/<int:report_id>")
def show_report(report_id: int) -> ResponseReturnValue:
    """Show a stored sales report, as JSON or HTML."""
    report = get_session().get(Report, report_id)
    if report is None:
        return error_response(404, "report_id", f"no report has id {report_id}")
    if wants_json():
        return {"id": report.id, "order_id": report.order_id,
                "created_at": report.created_at.isoformat(), **report.data}
    return render_template("report.html", report=report)
