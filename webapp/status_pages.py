"""The customer's status page for one request, reached through its unguessable token."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from kb.errors import KBError, NotFound
from webapp.tickets_api import desk

bp = Blueprint("status_pages", __name__, url_prefix="/tickets")


def _page(token: str, message: str | None = None, error: str | None = None, code: int = 200):
    try:
        ticket = desk().status(token)
    except NotFound:
        abort(404)
    response = render_template("tickets/status.html", ticket=ticket, token=token, message=message, error=error)
    # The token in the address is the key: keep it out of caches and other sites' Referer headers.
    return response, code, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/<token>")
def status(token):
    return _page(token, message=request.args.get("done") and "Спасибо! · Thank you!")


def _act(token, action):
    try:
        action()
    except NotFound:
        abort(404)
    except KBError as exc:
        return _page(token, error=exc.message, code=exc.status)
    return redirect(url_for("status_pages.status", token=token, done=1), code=303)


@bp.post("/<token>/details")
def add_details(token):
    return _act(token, lambda: desk().add_details(token, request.form.get("text", "")))


@bp.post("/<token>/rating")
def rate(token):
    return _act(token, lambda: desk().rate(token, request.form.get("rating")))
