"""Error responses: JSON `{"error": {"field", "message"}}` for API clients, a page for browsers."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException


def wants_json() -> bool:
    """Return True when the request body is JSON or the client prefers JSON to HTML."""
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def json_error(status: int, field: str | None, message: str) -> ResponseReturnValue:
    """Answer status with a JSON error naming field."""
    return {"error": {"field": field, "message": message}}, status


def error_response(status: int, field: str | None, message: str) -> ResponseReturnValue:
    """Answer status with a message naming field, as JSON or as the error page."""
    if wants_json():
        return json_error(status, field, message)
    return render_template("error.html", status=status, field=field, message=message), status


def handle_too_large(error: HTTPException) -> ResponseReturnValue:
    """Answer 413 for a body over MAX_CONTENT_LENGTH."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return error_response(413, "body", f"is larger than the limit of {limit} bytes")


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    """Answer any other HTTP error (404, 405, ...) in the client's format."""
    return error_response(error.code or 500, None, error.description or error.name)


def init_app(app: Flask) -> None:
    """Register the error handlers on app."""
    app.register_error_handler(413, handle_too_large)
    app.register_error_handler(HTTPException, handle_http_error)
