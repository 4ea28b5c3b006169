"""Workflow: an operator takes a ticket, writes to the customer, passes it on or solves it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from kb.db.engine import Database
from kb.desk.records import (
    MAX_ARTICLE_ID,
    MAX_TEXT,
    Clock,
    acting_operator,
    checked_text,
    record_event,
    required_text,
    run_change,
    ticket_by_number,
)
from kb.desk.routing import Routing
from kb.desk.shapes import summary
from kb.desk.tables import UNSOLVED, Operator, Ticket
from kb.errors import Conflict, InvalidInput, NotAllowed


class Workflow:
    """What the owner of a ticket does with it (a part of `Desk`). `pass_on_in` and `solve_in` do it
    inside a caller's transaction (registering a call)."""

    def __init__(self, db: Database, clock: Clock, routing: Routing):
        self.db, self.clock, self.routing = db, clock, routing

    def take(self, number: int, login: str, now: datetime | None = None) -> dict:
        """An operator takes an unowned ticket. Of two taking at once, exactly one wins."""
        return run_change(self.db, self._take, number, login, self.clock(now))

    def _take(self, session, number, login, now):
        operator = acting_operator(session, login)
        ticket = ticket_by_number(session, number)
        if ticket.status not in UNSOLVED:
            raise Conflict(f"ticket #{number} is {ticket.status}: there is nothing to take")
        if ticket.tier > operator.tier:
            raise NotAllowed(f"ticket #{number} is at tier {ticket.tier}; {operator.login} works at tier {operator.tier}")
        # The database decides who was first: the UPDATE only matches while nobody owns the ticket.
        taken = session.execute(
            update(Ticket).where(Ticket.id == ticket.id, Ticket.owner_id.is_(None), Ticket.status.in_(UNSOLVED))
            .values(owner_id=operator.id, status="open", assigned_at=now, version=Ticket.version + 1)
            .execution_options(synchronize_session=False)).rowcount
        session.refresh(ticket)
        if not taken:
            owner = ticket.owner.login if ticket.owner else "someone"
            raise Conflict(f"ticket #{number} is already taken by {owner}")
        record_event(session, ticket, "assigned", now, actor="operator", operator=operator, owner_id=None,
                     params={"how": "taken", "to": operator.login})
        return summary(ticket)

    def comment(self, number: int, login: str, note: str, *, waiting: bool = False,
                now: datetime | None = None) -> dict:
        """The owner writes to the customer (the first such message is the first response)."""
        note = required_text(note, "the note", MAX_TEXT)
        return run_change(self.db, self._comment, number, login, note, waiting, self.clock(now))

    def _comment(self, session, number, login, note, waiting, now):
        ticket, operator = self._owned(session, number, login)
        self._respond(session, ticket, operator, "commented", note, now)
        ticket.status = "waiting" if waiting else "open"
        return summary(ticket)

    def pass_on(self, number: int, login: str, note: str, now: datetime | None = None) -> dict:
        """The owner hands the ticket to the next tier, saying why (the note is required)."""
        note = required_text(note, "a note for the next tier (what was tried, why it goes up)", MAX_TEXT)
        return run_change(self.db, self.pass_on_in, number, login, note, self.clock(now))

    def pass_on_in(self, session, number: int, login: str, note: str, now: datetime) -> dict:
        ticket, operator = self._owned(session, number, login)
        if ticket.tier >= 3:
            raise Conflict(f"ticket #{number} is at the top tier: solve it or ask a lead")
        record_event(session, ticket, "passed_on", now, actor="operator", operator=operator, note=note,
                     params={"to_tier": ticket.tier + 1})
        self.routing.move_up(session, ticket, now)
        return summary(ticket)

    def solve(self, number: int, login: str, *, answer: str | None = None, article_id: str | None = None,
              now: datetime | None = None) -> dict:
        answer = checked_text(answer, "the answer", MAX_TEXT) or None
        article_id = checked_text(article_id, "the article id", MAX_ARTICLE_ID) or None
        if not answer and not article_id:
            raise InvalidInput("a solution needs an answer text, a linked article, or both")
        return run_change(self.db, self.solve_in, number, login, answer, article_id, self.clock(now))

    def solve_in(self, session, number: int, login: str, answer: str | None, article_id: str | None,
                 now: datetime) -> dict:
        ticket, operator = self._owned(session, number, login)
        self._respond(session, ticket, operator, "solved", answer or "", now, late=now > ticket.due_at,
                      params={"article": article_id} if article_id else None)
        ticket.status, ticket.solved_at, ticket.answer, ticket.article_id = "solved", now, answer, article_id
        return summary(ticket)

    def _owned(self, session, number, login) -> tuple[Ticket, Operator]:
        operator = acting_operator(session, login)
        ticket = ticket_by_number(session, number)
        if ticket.status not in UNSOLVED:
            raise Conflict(f"ticket #{number} is already {ticket.status}")
        if ticket.owner_id != operator.id:
            owner = ticket.owner.login if ticket.owner else "nobody: take it first"
            raise NotAllowed(f"only the owner can do this; ticket #{number} belongs to {owner}")
        return ticket, operator

    def _respond(self, session, ticket, operator, kind, note, now, late=False, params=None):
        first = ticket.first_response_at is None
        if first:
            ticket.first_response_at = now
            late = late or now > ticket.first_response_due
        record_event(session, ticket, kind, now, actor="operator", operator=operator, note=note, params=params,
                     first_response=first, late=late)
