"""Demo mode: on only when asked for (SHOP_DEMO=1, which `make run` sets); off, production."""

from __future__ import annotations

from flask import Blueprint, abort, request

from shop.config import is_demo


def refuse_outside_demo() -> None:
    """Answer 404 to every demo route when demo mode is off: in production they do not exist."""
    if not is_demo():
        abort(404)


def demo_only(bp: Blueprint) -> Blueprint:
    """Make every route of bp exist only in demo mode."""
    bp.before_request(refuse_outside_demo)
    return bp


def local_path(target: str | None, default: str) -> str:
    """Return target if it is a path on this site (never another host), else default."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def back_to_page() -> str:
    """Return the page a demo form was posted from (its `next` field), for the redirect."""
    return local_path(request.form.get("next"), "/")
