"""What every part of the desk needs: the clock, looking tickets and operators up, the history."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from kb.desk.operators import find_operator
from kb.desk.tables import Operator, Ticket, TicketEvent
from kb.errors import InvalidInput, NotAllowed, NotFound

MAX_QUESTION = 2000
MAX_TEXT = 5000


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_utc(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    return now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo else now



def required_text(text, label: str, limit: int) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise InvalidInput(f"{label} is required")
    if len(text) > limit:
        raise InvalidInput(f"{label} is longer than {limit} characters")
    return text



def record_event(session, ticket: Ticket, kind: str, now: datetime, *, actor: str, operator: Operator | None = None,
           owner_id: int | None | bool = False, note: str = "", first_response=False, late=False) -> None:
    """Record one event; `owner_id` defaults to the ticket's owner before the change."""
    session.add(TicketEvent(ticket=ticket, kind=kind, at=now, actor=actor, operator=operator,
                            owner_id=ticket.owner_id if owner_id is False else owner_id, tier=ticket.tier,
                            note=note, first_response=first_response, late=late))


def ticket_by_number(session, number) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.number == int(number)))
    if ticket is None:
        raise NotFound(f"no ticket #{number}")
    return ticket


def ticket_by_token(session, token) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.token == str(token))) if token else None
    if ticket is None:
        raise NotFound("no request with this link: check the address you were given")
    return ticket


def acting_operator(session, login) -> Operator:
    operator = find_operator(session, login)
    if not operator.active:
        raise NotAllowed(f"{operator.login} is not active")
    if operator.role == "editor":
        raise NotAllowed(f"{operator.login} is an editor; tickets are for operators, leads and admins")
    return operator
