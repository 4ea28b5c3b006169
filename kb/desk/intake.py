"""Intake: a customer's question becomes a ticket, or joins the same customer's open one;
the customer adds details and rates the answer."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, or_, select, update

from kb.db.engine import Database
from kb.desk.customers import checked_request, customer_for
from kb.desk.duplicates import VectorCache, meaning_text, numbers_agree
from kb.desk.notes import JOINED_NOTE
from kb.desk.queue import Queue
from kb.desk.records import (
    MAX_TEXT,
    Clock,
    checked_token,
    record_event,
    required_text,
    run_change,
    ticket_by_token,
    token_digest,
)
from kb.desk.routing import Routing
from kb.desk.rules import TicketRules
from kb.desk.shapes import summary
from kb.desk.tables import UNSOLVED, Counter, Customer, Ticket, TicketEvent
from kb.errors import Conflict, InvalidInput, Unavailable
from kb.text import same_text

log = logging.getLogger(__name__)

# What someone who only knows a customer's e-mail address or phone number can add to their open
# ticket by asking again; past either cap the question becomes a ticket of its own.
MAX_JOINS = 3
MAX_JOINED_DETAILS = 20_000
# The duplicate check compares with no more than this many of the contact's latest open tickets.
MAX_CANDIDATES = 20
_RATINGS = ("1", "2", "3", "4", "5")
LOW_RATING = 2  # a rating this low or lower reopens the ticket for its owner to follow up


class Intake:
    """Creating tickets and what the customer sends afterwards (a part of `Desk`). New tickets go to
    `routing`; what the customer changes is answered with `queue`'s status page."""

    def __init__(self, db: Database, rules: TicketRules, clock: Clock, routing: Routing, queue: Queue, embed=None):
        self.db, self.rules, self.clock, self.routing, self.queue = db, rules, clock, routing, queue
        # texts -> unit vectors, for the duplicate check; without one, only the exact text joins
        self._embed = embed
        # Open questions are compared again with every new question of their customer: embed each once.
        self._vectors = VectorCache(embed, size=4096)

    def create_ticket(self, question: str, *, channel: str = "web", language: str | None = None,
                      name: str = "", email: str | None = None, phone: str | None = None,
                      search_query: str | None = None, details: str = "", join: bool = True,
                      now: datetime | None = None) -> dict:
        """Register a question. The same customer asking it again within the window joins the open one;
        with `join=False` (the public API and form, where the sender has proven nothing: the proof is
        the status link, whose page adds details) it becomes a ticket of its own, whose history names
        the open tickets it may repeat ("same contact, maybe related"), for staff only.

        On a join the answer is that ticket's summary with `joined: True`; its number, status and
        token are for operators (the `kb` command). Whoever sent the question has only shown that
        they know an e-mail address or phone number, so the API must answer a join with nothing
        but `{joined, message}`.
        """
        now = self.clock(now)
        request = checked_request(question, channel, language, name, email, phone, search_query, details)
        # The model runs before the transaction, so the customer's lock is held only for the database work.
        request["vector"] = self._question_vector(request, now)
        request["join"] = join
        return run_change(self.db, self._create_or_join, request, now)

    def _question_vector(self, request: dict, now: datetime) -> np.ndarray | None:
        text = meaning_text(request["question"])
        if self._embed is None or not text:
            return None
        since = now - timedelta(hours=self.rules.duplicate_window_hours)
        try:
            # The open questions are embedded with the new one (once each: they are cached by text).
            candidates = self.db.run(_open_questions_of, request["email"], request["phone"], since, write=False)
            return self._vectors.vectors([text] + [meaning_text(q) for _, q in candidates])[0]
        except Unavailable:
            raise  # the database, not the model: the ticket cannot be registered now either
        except Exception:  # a broken model must not stop a question from being registered
            log.exception("duplicate check by meaning failed; comparing exact text only")
            return None

    def _create_or_join(self, session, request: dict, now: datetime) -> dict:
        # One transaction, serialised per customer: of two identical questions sent at the same
        # moment the second sees the first's ticket. PostgreSQL: the customer's row is locked;
        # SQLite: every transaction here begins IMMEDIATE and so holds the one write lock.
        customer = customer_for(session, request, now)
        session.execute(select(Customer.id).where(_contact(request)).order_by(Customer.id).with_for_update())
        since = now - timedelta(hours=self.rules.duplicate_window_hours)
        candidates = _open_questions_of(session, request["email"], request["phone"], since)
        duplicates = self._duplicates(request, candidates)
        for ticket_id in duplicates if request["join"] else ():
            joined = self._join(session, ticket_id, request, now)
            if joined is not None:
                return joined
        related = session.scalars(select(Ticket.number).where(Ticket.id.in_(duplicates)).order_by(Ticket.number))
        return self._create(session, customer, request, now, related=list(related) if duplicates else [])

    def _duplicates(self, request: dict, candidates: list[tuple[int, str]]) -> list[int]:
        """The candidates asking the same question, best first."""
        wanted = same_text(request["question"])
        exact = [ticket_id for ticket_id, question in candidates if same_text(question) == wanted]
        vector = request["vector"]
        if vector is None:
            return exact
        others = [(ticket_id, question) for ticket_id, question in candidates
                  if ticket_id not in exact and numbers_agree(request["question"], question)
                  and meaning_text(question)]
        if not others:
            return exact
        try:
            vectors = self._vectors.vectors([meaning_text(q) for _, q in others])
        except Exception:
            log.exception("duplicate check by meaning failed; comparing exact text only")
            return exact
        scored = sorted(((float(v @ vector), ticket_id) for v, (ticket_id, _) in zip(vectors, others)), reverse=True)
        return exact + [ticket_id for score, ticket_id in scored if score >= self.rules.duplicate_threshold]

    def _join(self, session, ticket_id: int, request: dict, now: datetime) -> dict | None:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.status not in UNSOLVED:
            return None  # solved meanwhile: the question becomes a new ticket
        text = request["question"] + (f"\n{request['details']}" if request["details"] else "")
        joins = session.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "commented", TicketEvent.actor == "customer",
            TicketEvent.note.startswith(JOINED_NOTE, autoescape=True)))
        if joins >= MAX_JOINS or len(ticket.details or "") + 2 + len(text) > MAX_JOINED_DETAILS:
            return None  # enough added without the ticket's link: a ticket of its own
        _append_details(ticket, text)
        record_event(session, ticket, "commented", now, actor="customer", note=JOINED_NOTE + text)
        return dict(summary(ticket), token=ticket.token, joined=True)

    def _create(self, session, customer: Customer, request: dict, now: datetime, related=()) -> dict:
        ticket = self.new_ticket(session, customer, request, now)
        params = {"channel": ticket.channel, **({"related": list(related)} if related else {})}
        record_event(session, ticket, "created", now, actor="customer", params=params)
        self.routing.auto_assign(session, ticket, now)
        return dict(summary(ticket), token=ticket.token, joined=False)

    def new_ticket(self, session, customer: Customer, request: dict, now: datetime, tier: int = 1) -> Ticket:
        """A new ticket's row with the next number, at `tier` with no owner and no events yet."""
        number = session.execute(update(Counter.__table__).where(Counter.name == "ticket_number")
                                 .values(value=Counter.value + 1).returning(Counter.value)).scalar_one()
        token = secrets.token_urlsafe(24)
        ticket = Ticket(number=number, token=token, token_digest=token_digest(token), customer=customer,
                        question=request["question"], details=request["details"], channel=request["channel"],
                        language=request["language"], search_query=request["search_query"], status="new",
                        tier=tier, created_at=now,
                        first_response_due=now + timedelta(hours=self.rules.first_response_target(request["channel"])),
                        due_at=now + timedelta(hours=self.rules.tier_deadline(tier)))
        session.add(ticket)
        session.flush()
        return ticket

    def add_details(self, token: str, text: str, now: datetime | None = None) -> dict:
        """The customer adds to their question; a solved ticket opens again for its owner."""
        token = checked_token(token)
        text = required_text(text, "the text", MAX_TEXT)
        return run_change(self.db, self._add_details, token, text, self.clock(now))

    def _add_details(self, session, token, text, now):
        ticket = ticket_by_token(session, token)
        if ticket.status == "closed":
            raise Conflict("this request is closed; please ask your question again as a new one")
        _append_details(ticket, text)
        record_event(session, ticket, "commented", now, actor="customer", note=text)
        if ticket.status == "solved":
            record_event(session, ticket, "reopened", now, actor="customer", params={"why": "wrote_again"})
            ticket.solved_at = None
            ticket.flagged_at = None
            ticket.due_at = now + timedelta(hours=self.rules.tier_deadline(ticket.tier))
        if ticket.status in ("solved", "waiting"):
            ticket.status = "open" if ticket.owner_id else "new"
        return self.queue.status_of(session, ticket, now)

    def rate(self, token: str, rating, now: datetime | None = None) -> dict:
        """The customer rates the answer (1-5); that closes the ticket, unless the rating is low
        (LOW_RATING or under): then it opens again for its owner to follow up."""
        token = checked_token(token)
        # A whole number, or one digit as an HTML form sends it; never a float, bool or other text.
        if isinstance(rating, str) and rating in _RATINGS:
            rating = int(rating)
        if isinstance(rating, bool) or not isinstance(rating, int):
            raise InvalidInput("the rating must be a whole number from 1 to 5")
        if not 1 <= rating <= 5:
            raise InvalidInput("the rating must be from 1 to 5")
        return run_change(self.db, self._rate, token, rating, self.clock(now))

    def _rate(self, session, token, rating, now):
        ticket = ticket_by_token(session, token)
        if ticket.status != "solved":
            raise Conflict("there is no answer to rate yet" if ticket.status in UNSOLVED
                           else "this answer has already been rated")
        record_event(session, ticket, "rated", now, actor="customer", note=str(rating))
        ticket.rating = rating
        ticket.status = "closed"
        if rating <= LOW_RATING:
            # An unhappy customer is not a closed case: the ticket goes back to whoever answered it,
            # with the tier's deadline to follow up (README, "Tickets").
            record_event(session, ticket, "reopened", now, actor="customer",
                         params={"why": "low_rating", "rating": rating})
            ticket.status = "open" if ticket.owner_id else "new"
            ticket.solved_at = ticket.flagged_at = None
            ticket.due_at = now + timedelta(hours=self.rules.tier_deadline(ticket.tier))
        return self.queue.status_of(session, ticket, now)


def _contact(request: dict):
    return or_(*[c for c in (request["email"] and Customer.email == request["email"],
                             request["phone"] and Customer.phone == request["phone"]) if c is not None])


def _open_questions_of(session, email, phone, since) -> list[tuple[int, str]]:
    """The contact's latest open questions within the window (at most MAX_CANDIDATES)."""
    rows = session.execute(
        select(Ticket.id, Ticket.question).join(Customer)
        .where(_contact({"email": email, "phone": phone}), Ticket.status.in_(UNSOLVED), Ticket.created_at >= since)
        .order_by(Ticket.id.desc()).limit(MAX_CANDIDATES)).all()
    return [(ticket_id, question) for ticket_id, question in rows]


def _append_details(ticket: Ticket, text: str) -> None:
    ticket.details = f"{ticket.details}\n\n{text}" if ticket.details else text
