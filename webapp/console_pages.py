"""The operator console: search while the customer waits, the answer beside its operator-only notes, and the call registered in one step."""
from __future__ import annotations

from flask import Blueprint

from webapp.auth import DESK, allow

bp = allow(DESK)(Blueprint("console", __name__, url_prefix="/console"))


@bp.get("")
def index():
    return "console"


@bp.get("/results")
def results():
    return ""


@bp.get("/articles/<path:article_id>")
def article(article_id):
    return ""


@bp.get("/customer")
def customer():
    return ""


@bp.post("/calls")
def register_call():
    return ""
