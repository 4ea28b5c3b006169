"""Admin pages: operators (add, change, deactivate, reset a password) and API tokens."""
from __future__ import annotations

from flask import Blueprint

from webapp.auth import ADMINS, allow

bp = allow(ADMINS)(Blueprint("admin_pages", __name__, url_prefix="/admin"))


@bp.get("/operators")
def operators():
    return "operators"


@bp.post("/operators")
def add_operator():
    return ""


@bp.route("/operators/<login>", methods=["GET", "POST"])
def operator(login):
    return ""


@bp.get("/tokens")
def tokens():
    return "tokens"


@bp.post("/tokens")
def create_token():
    return ""


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id):
    return ""
