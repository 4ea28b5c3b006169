"""JSON API for tickets: a question with no answer becomes a request the customer can follow."""
from __future__ import annotations

from flask import Blueprint, jsonify

from kb.desk.desk import Desk
from kb.desk.shapes import jsonable
from webapp.api.schemas import (
    TOKEN,
    TicketCreated,
    TicketDetails,
    TicketRating,
    TicketRequest,
    TicketStatus,
    operation,
)
from webapp.core.auth import ANYONE, allow
from webapp.core.rate_limits import limit
from webapp.core.security import public_url
from webapp.core.status_links import check_token
from webapp.core.services import services

bp = allow(ANYONE)(Blueprint("tickets", __name__, url_prefix="/tickets"))

def desk() -> Desk:
    return services().desk


bp.url_value_preprocessor(check_token)


def _links(token: str) -> dict:
    # Never from the Host header (webapp.security.public_url): KB_PUBLIC_URL, or relative links.
    return {"status_url": public_url("status.status", token=token),
            "api_url": public_url("api.tickets.status", token=token)}


@bp.post("")
@limit("tickets")
@operation({201: TicketCreated}, (400, 413, 429, 500, 503), json=TicketRequest, tag="tickets")
def create(body):
    """Ask a question as a ticket

    201: a new request, with its token and links, whether or not the address has other requests
    (knowing an e-mail address proves nothing: to add to a request, post to its details with its
    token). Staff see a repeated question linked to the open one as "same contact, maybe related"."""
    data = body.model_dump(exclude_unset=True)  # the fields sent (null ones as None)
    channel = data.pop("channel", None)
    ticket = desk().create_ticket(data.pop("question"), channel="web" if channel is None else channel, join=False,
                                  **data)
    created = {"number": ticket["number"], "token": ticket["token"], "status": ticket["status"],
               "joined": False, **_links(ticket["token"])}
    return jsonify(created), 201


@bp.get("/<token>")
@operation({200: TicketStatus}, (404, 500), tag="tickets", path_parameters=TOKEN)
def status(token):
    """A request's status

    What the customer sees: the status, the place in the queue, the expected time, the answer."""
    return jsonify(jsonable(desk().status(token)))


@bp.post("/<token>/details")
@limit("tickets")
@operation({200: TicketStatus}, (400, 404, 409, 413, 500), json=TicketDetails, tag="tickets",
           path_parameters=TOKEN)
def add_details(token, body):
    """Add to the question

    A solved request opens again; a closed one is a 409."""
    return jsonify(jsonable(desk().add_details(token, body.text)))


@bp.post("/<token>/rating")
@limit("tickets")
@operation({200: TicketStatus}, (400, 404, 409, 413, 500), json=TicketRating, tag="tickets",
           path_parameters=TOKEN)
def rate(token, body):
    """Rate the answer

    Only a solved request can be rated (else a 409); rating it closes it."""
    return jsonify(jsonable(desk().rate(token, body.rating)))
