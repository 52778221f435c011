"""The pages and JSON a client reads: the shop, an order, a report."""

from __future__ import annotations

import time
import uuid

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from shop.db import get_session
from shop.extensions import current_queue
from shop.models import Report
from shop.orders.forms import quantity_field
from shop.orders.services import list_products
from shop.web.errors import error_response, wants_json
from shop.web.summary import OrderSummary, summarize_order
from shop.web.timeline import build_timeline

bp = Blueprint("web", __name__)


def render_shop(errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    """Render the shop page with its checkout form, re-filled from the request if posted."""
    products = list_products(get_session())
    labels = {"email": "Email", "items": "Products", "form": "This form"}
    labels |= {quantity_field(product.sku): product.name for product in products}
    # Where each error in the summary links to: its input ("items": the first quantity).
    anchors = {field: field for field in labels if field not in ("items", "form")}
    if products:
        anchors["items"] = quantity_field(products[0].sku)
    # A new key each time the form is shown: submitting it twice places one order.
    return render_template(
        "shop.html", products=products, errors=errors or {}, labels=labels, anchors=anchors,
        form=request.form,
        quantity_field=quantity_field, idempotency_key=uuid.uuid4().hex,
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
    """Show an order with its jobs' states, as JSON or HTML (with its live timeline)."""
    summary = summarize_order(get_session(), current_queue(), order_id)
    if summary is None:
        return error_response(404, "order_id", f"no order has id {order_id}")
    if wants_json():
        report_id = summary.report_id
        report_url = url_for("web.show_report", report_id=report_id) if report_id else None
        return summary.to_dict() | {"report_url": report_url}
    return render_order("order.html", summary)


@bp.get("/orders/<int:order_id>/live")
def order_live(order_id: int) -> ResponseReturnValue:
    """Return the order page's live part as HTML in JSON; final once nothing will change."""
    summary = summarize_order(get_session(), current_queue(), order_id)
    if summary is None:
        return error_response(404, "order_id", f"no order has id {order_id}")
    finished = sum(1 for job in summary.jobs if job.state is not None and job.state.is_final)
    return {
        "final": is_settled(summary),
        "status": summary.status,
        # Read out by screen readers (an aria-live line), instead of the whole timeline.
        "announce": f"Order {summary.status.replace('_', ' ')}: "
                    f"{finished} of {len(summary.jobs)} jobs finished.",
        "jobs": {tracked.job.type: tracked.to_dict()["state"] for tracked in summary.jobs},
        "html": render_order("_order_live.html", summary),
    }


def render_order(template: str, summary: OrderSummary) -> str:
    """Render the order page, or its live part, with the timeline as of now."""
    timeline = build_timeline(summary, time.time())
    return render_template(template, summary=summary, timeline=timeline,
                           settled=is_settled(summary))


def is_settled(summary: OrderSummary) -> bool:
    """Return True once the answer was sent and every job succeeded or failed for good."""
    order = summary.order
    # An order placed before requests were timed has no arrival time and never gets an answer's.
    answered = order.responded_at is not None or order.request_started_at is None
    return answered and all(
        tracked.state is not None and tracked.state.is_final for tracked in summary.jobs
    )


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
