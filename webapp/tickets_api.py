"""JSON API for tickets: a question with no answer becomes a request the customer can follow."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from kb.desk.desk import Desk
from kb.desk.shapes import jsonable
from kb.errors import InvalidInput
from webapp.services import services

bp = Blueprint("tickets_api", __name__, url_prefix="/api/v1/tickets")

FIELDS = {"question", "search_query", "channel", "language", "name", "email", "phone", "details"}


def desk() -> Desk:
    return services().desk


def _json_object() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object with Content-Type: application/json")
    return data


def _links(token: str) -> dict:
    return {"status_url": url_for("status_pages.status", token=token, _external=True),
            "api_url": url_for("tickets_api.status", token=token, _external=True)}


@bp.post("")
def create():
    data = _json_object()
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(FIELDS))}")
    ticket = desk().create_ticket(data.get("question"), channel=data.get("channel") or "web",
                                  **{k: data.get(k) for k in FIELDS - {"question", "channel"}})
    if ticket["joined"]:
        # Anyone who knows a customer's e-mail could ask something similar; the link to the open
        # request (and the details in it) goes only to whoever opened it.
        return jsonify({"number": ticket["number"], "status": ticket["status"], "joined": True,
                        "message": "added to your open request; follow it with the link you got when you first asked"})
    body = {"number": ticket["number"], "token": ticket["token"], "status": ticket["status"],
            "joined": False, **_links(ticket["token"])}
    return jsonify(body), 201


@bp.get("/<token>")
def status(token):
    return jsonify(jsonable(desk().status(token)))


@bp.post("/<token>/details")
def add_details(token):
    return jsonify(jsonable(desk().add_details(token, _json_object().get("text"))))


@bp.post("/<token>/rating")
def rate(token):
    return jsonify(jsonable(desk().rate(token, _json_object().get("rating"))))
