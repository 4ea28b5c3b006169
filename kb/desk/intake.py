"""Intake: a customer's question becomes a ticket, or joins the same customer's open one;
the customer adds details and rates the answer."""
from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from kb.desk.records import (
    MAX_QUESTION,
    MAX_TEXT,
    as_utc,
    record_event,
    required_text,
    ticket_by_token,
)
from kb.desk.shapes import summary
from kb.desk.tables import CHANNELS, UNSOLVED, Counter, Customer, Ticket
from kb.errors import Conflict, InvalidInput

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _same_text(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower().replace("ё", "е")))



class Intake:
    """Creating tickets and what the customer sends afterwards (a part of `Desk`)."""

    def create_ticket(self, question: str, *, channel: str = "web", language: str | None = None,
                      name: str = "", email: str | None = None, phone: str | None = None,
                      search_query: str | None = None, details: str = "", now: datetime | None = None) -> dict:
        """Register a question. The same customer asking it again within the window joins the open one."""
        now = as_utc(now)
        request = _validate_request(question, channel, language, name, email, phone, search_query, details)
        duplicate = self._find_duplicate(request, now)
        if duplicate is not None:
            joined = self._run(self._join, duplicate, request, now)
            if joined is not None:
                return joined
        return self._run(self._create, request, now)

    def _find_duplicate(self, request: dict, now: datetime) -> int | None:
        since = now - timedelta(hours=self.rules.duplicate_window_hours)
        candidates = self.db.run(_open_questions_of, request["email"], request["phone"], since)
        if not candidates:
            return None
        wanted = _same_text(request["question"])
        for ticket_id, question in candidates:
            if _same_text(question) == wanted:  # the fast path: no model needed
                return ticket_id
        try:
            vectors = self.embed([request["question"]] + [q for _, q in candidates])
        except Exception:  # a broken model must not stop a question from being registered
            log.exception("duplicate check by meaning failed; comparing exact text only")
            return None
        similarity = vectors[1:] @ vectors[0]
        best = int(np.argmax(similarity))
        return candidates[best][0] if similarity[best] >= self.rules.duplicate_threshold else None

    def _join(self, session, ticket_id: int, request: dict, now: datetime) -> dict | None:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.status not in UNSOLVED:
            return None  # solved meanwhile: the question becomes a new ticket
        text = request["question"] + (f"\n{request['details']}" if request["details"] else "")
        _append_details(ticket, text)
        record_event(session, ticket, "commented", now, actor="customer", note=f"asked again: {text}")
        return dict(summary(ticket), token=ticket.token, joined=True)

    def _create(self, session, request: dict, now: datetime) -> dict:
        customer = _customer(session, request, now)
        number = session.execute(update(Counter.__table__).where(Counter.name == "ticket_number")
                                 .values(value=Counter.value + 1).returning(Counter.value)).scalar_one()
        ticket = Ticket(number=number, token=secrets.token_urlsafe(24), customer=customer,
                        question=request["question"], details=request["details"], channel=request["channel"],
                        language=request["language"], search_query=request["search_query"], status="new",
                        tier=1, created_at=now,
                        first_response_due=now + timedelta(hours=self.rules.first_response_target(request["channel"])),
                        due_at=now + timedelta(hours=self.rules.tier_deadline(1)))
        session.add(ticket)
        session.flush()
        record_event(session, ticket, "created", now, actor="customer", note=f"via {ticket.channel}")
        self._auto_assign(session, ticket, now)
        return dict(summary(ticket), token=ticket.token, joined=False)

    def add_details(self, token: str, text: str, now: datetime | None = None) -> dict:
        """The customer adds to their question; a solved ticket opens again for its owner."""
        text = required_text(text, "the text", MAX_TEXT)
        return self._run(self._add_details, token, text, as_utc(now))

    def _add_details(self, session, token, text, now):
        ticket = ticket_by_token(session, token)
        if ticket.status == "closed":
            raise Conflict("this request is closed; please ask your question again as a new one")
        _append_details(ticket, text)
        record_event(session, ticket, "commented", now, actor="customer", note=text)
        if ticket.status == "solved":
            record_event(session, ticket, "reopened", now, actor="customer", note="the customer wrote again")
            ticket.solved_at = None
            ticket.flagged_at = None
            ticket.due_at = now + timedelta(hours=self.rules.tier_deadline(ticket.tier))
        if ticket.status in ("solved", "waiting"):
            ticket.status = "open" if ticket.owner_id else "new"
        return self._status(session, ticket, now)

    def rate(self, token: str, rating, now: datetime | None = None) -> dict:
        """The customer rates the answer (1-5); that closes the ticket."""
        try:
            rating = int(rating)
        except (TypeError, ValueError):
            raise InvalidInput("the rating must be a whole number from 1 to 5") from None
        if not 1 <= rating <= 5:
            raise InvalidInput("the rating must be from 1 to 5")
        return self._run(self._rate, token, rating, as_utc(now))

    def _rate(self, session, token, rating, now):
        ticket = ticket_by_token(session, token)
        if ticket.status != "solved":
            raise Conflict("there is no answer to rate yet" if ticket.status in UNSOLVED
                           else "this answer has already been rated")
        record_event(session, ticket, "rated", now, actor="customer", note=str(rating))
        ticket.rating = rating
        ticket.status = "closed"
        return self._status(session, ticket, now)


def _validate_request(question, channel, language, name, email, phone, search_query, details) -> dict:
    from kb.text import guess_language

    texts = {"the question": question, "the name": name, "the e-mail address": email, "the phone number": phone,
             "the search query": search_query, "the details": details, "the channel": channel,
             "the language": language}
    wrong = [label for label, value in texts.items() if value is not None and not isinstance(value, str)]
    if wrong:
        raise InvalidInput(f"{', '.join(wrong)} must be text")
    problems = []
    question = (question or "").strip()
    if not question:
        problems.append("the question is empty")
    if channel not in CHANNELS:
        problems.append(f"the channel must be one of {', '.join(CHANNELS)}")
    if language not in (None, "", "ru", "en"):
        problems.append("the language must be ru or en")
    email = (email or "").strip().lower() or None
    if email and not _EMAIL.match(email):
        problems.append(f"{email[:100]!r} does not look like an e-mail address")
    phone = re.sub(r"[^\d+]", "", phone or "") or None
    if phone and not 5 <= len(phone.lstrip("+")) <= 20:
        problems.append("the phone number must have 5 to 20 digits")
    if not email and not phone:
        problems.append("give an e-mail address or a phone number, so we can answer")
    for label, value, limit in (("the question", question, MAX_QUESTION), ("the name", name, 200),
                                ("the search query", search_query, MAX_QUESTION), ("the details", details, MAX_TEXT),
                                ("the e-mail address", email, 320)):
        if value and len(value) > limit:
            problems.append(f"{label} is longer than {limit} characters")
    if problems:
        raise InvalidInput("; ".join(problems))
    return {"question": question, "channel": channel, "language": language or guess_language(question),
            "name": (name or "").strip(), "email": email, "phone": phone,
            "search_query": (search_query or "").strip() or None, "details": (details or "").strip()}



def _open_questions_of(session, email, phone, since) -> list[tuple[int, str]]:
    contacts = [c for c in (email and Customer.email == email, phone and Customer.phone == phone) if c is not None]
    rows = session.execute(
        select(Ticket.id, Ticket.question).join(Customer)
        .where(or_(*contacts), Ticket.status.in_(UNSOLVED), Ticket.created_at >= since)
        .order_by(Ticket.id.desc())).all()
    return [(ticket_id, question) for ticket_id, question in rows]


def _customer(session, request: dict, now: datetime) -> Customer:
    for column, value in ((Customer.email, request["email"]), (Customer.phone, request["phone"])):
        if value:
            found = session.scalar(select(Customer).where(column == value))
            if found is not None:
                return found
    customer = Customer(name=request["name"], email=request["email"], phone=request["phone"], created_at=now)
    try:
        with session.begin_nested():  # another request may create the same customer at this moment
            session.add(customer)
    except IntegrityError:  # the savepoint is rolled back; the other request's customer is there now
        return _customer(session, request, now)
    return customer


def _append_details(ticket: Ticket, text: str) -> None:
    ticket.details = f"{ticket.details}\n\n{text}" if ticket.details else text
