"""What every part of the desk needs: the clock, looking tickets and operators up, the history."""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from kb.desk.operators import find_operator
from kb.desk.tables import Operator, Ticket, TicketEvent
from kb.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kb.text import text_problem

MAX_QUESTION = 2000
MAX_TEXT = 5000
MAX_ARTICLE_ID = 200  # the column's width
MAX_TOKEN = 64  # tokens are secrets.token_urlsafe(24): 32 characters of [A-Za-z0-9_-]
MAX_NUMBER = 2**31 - 1  # ticket numbers are 32-bit integers in the database
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")  # one character class: linear, nothing to backtrack


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_utc(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    return now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo else now


class Clock:
    """The desk's time, naive UTC. Every method of the desk takes `now`, so deadlines can be tested
    without waiting; without it, the time is read from `read`."""

    def __init__(self, read=utcnow):
        self.read = read

    def __call__(self, now: datetime | None = None) -> datetime:
        return self.read() if now is None else as_utc(now)


def run_change(db, work, *args):
    """`db.run(work, *args)`, where a ticket changed by someone else meanwhile (its version moved on)
    is a Conflict for whoever acted, not an error."""
    try:
        return db.run(work, *args)
    except StaleDataError:
        raise Conflict("the ticket changed while this was being done: look at it again") from None


def checked_text(value, label: str, limit: int) -> str:
    """Optional text, stripped; InvalidInput when it is not acceptable."""
    problem = text_problem(value, label, limit)
    if problem:
        raise InvalidInput(problem)
    return (value or "").strip()


def required_text(text, label: str, limit: int) -> str:
    text = checked_text(text if isinstance(text, str) else None, label, limit)
    if not text:
        raise InvalidInput(f"{label} is required")
    return text


def checked_token(token) -> str:
    """A token of the shape we hand out, or NotFound before the database is asked anything."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN or not _TOKEN.fullmatch(token):
        raise NotFound("no request with this link: check the address you were given")
    return token


def checked_number(number) -> int:
    """A ticket number: a whole number (or its digits) in the database's range; else NotFound."""
    if isinstance(number, str) and 0 < len(number) <= 10 and number.isascii() and number.isdigit():
        number = int(number)
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= MAX_NUMBER:
        raise NotFound(f"no ticket #{str(number)[:20]}")
    return number


def record_event(session, ticket: Ticket, kind: str, now: datetime, *, actor: str, operator: Operator | None = None,
           owner_id: int | None | bool = False, note: str = "", params: dict | None = None, first_response=False,
           late=False) -> None:
    """Record one event; `owner_id` defaults to the ticket's owner before the change. `note` is what a
    person wrote; what the desk did goes in `params` (logins, tiers, article ids), never as English
    text, so each reader's page words it in their language (webapp.staff.history)."""
    session.add(TicketEvent(ticket=ticket, kind=kind, at=now, actor=actor, operator=operator,
                            owner_id=ticket.owner_id if owner_id is False else owner_id, tier=ticket.tier,
                            note=note, params=params or None, first_response=first_response, late=late))


def ticket_by_number(session, number) -> Ticket:
    number = checked_number(number)
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        raise NotFound(f"no ticket #{number}")
    return ticket


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def ticket_by_token(session, token) -> Ticket:
    """The ticket of a status link, looked up by the token's digest and then compared in constant time."""
    token = checked_token(token)
    ticket = session.scalar(select(Ticket).where(Ticket.token_digest == token_digest(token)))
    if ticket is None or not hmac.compare_digest(ticket.token.encode("utf-8"), token.encode("utf-8")):
        raise NotFound("no request with this link: check the address you were given")
    return ticket


def acting_operator(session, login) -> Operator:
    operator = find_operator(session, login)
    if not operator.active:
        raise NotAllowed(f"{operator.login} is not active")
    if operator.role == "editor":
        raise NotAllowed(f"{operator.login} is an editor; tickets are for operators, leads and admins")
    return operator
