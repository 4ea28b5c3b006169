"""The customer's status page for one request, reached through its unguessable token."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext

from kb.errors import InvalidInput, KBError, NotFound
from kb.text import unprintable
from webapp.core.auth import ANYONE, allow
from webapp.core.rate_limits import limit
from webapp.core.services import services
from webapp.core.status_links import check_token

bp = allow(ANYONE)(Blueprint("status", __name__, url_prefix="/tickets"))
bp.url_value_preprocessor(check_token)  # a token that cannot be one: the 404 page, no database query

_RATINGS = {str(n): n for n in range(1, 6)}


def _page(token: str, message: str | None = None, error: str | None = None, code: int = 200):
    ticket = services().desk.status(token)  # NotFound: the error page, 404
    response = render_template("tickets/status.html", ticket=ticket, token=token, message=message, error=error,
                               new=request.args.get("new") == "1")
    # The token in the address is the key: keep it out of caches and other sites' Referer headers.
    return response, code, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.get("/<token>")
def status(token):
    return _page(token, message=request.args.get("done") and gettext("Thank you!"))


def _field(name: str) -> str:
    value = request.form.get(name, "")
    if (found := unprintable(value)) is not None:
        raise InvalidInput(f"the text contains a control character ({found}): send only text a person can type")
    return value


def _rating() -> int:
    rating = _RATINGS.get(request.form.get("rating", "").strip())
    if rating is None:
        raise InvalidInput("the rating must be a whole number from 1 to 5")
    return rating


def _act(token, action):
    try:
        action()
    except NotFound:
        raise  # the 404 page
    except KBError as exc:  # the same page with what to fix (an unknown token there is a 404 too)
        return _page(token, error=exc.message, code=exc.status)
    return redirect(url_for("status.status", token=token, done=1), code=303)


@bp.post("/<token>/details")
@limit("tickets")
def add_details(token):
    return _act(token, lambda: services().desk.add_details(token, _field("text")))


@bp.post("/<token>/rating")
@limit("tickets")
def rate(token):
    return _act(token, lambda: services().desk.rate(token, _rating()))
