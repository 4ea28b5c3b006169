"""Workflow: an operator takes a ticket, writes to the customer, passes it on or solves it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from kb.desk.records import (
    MAX_ARTICLE_ID,
    MAX_TEXT,
    acting_operator,
    as_utc,
    checked_text,
    record_event,
    required_text,
    ticket_by_number,
)
from kb.desk.shapes import summary
from kb.desk.tables import UNSOLVED, Operator, Ticket
from kb.errors import Conflict, InvalidInput, NotAllowed

ARTICLE_NOTE = "article: "  # the last line of a solution's note names the linked article


class Workflow:
    """What the owner of a ticket does with it (a part of `Desk`)."""

    def take(self, number: int, login: str, now: datetime | None = None) -> dict:
        """An operator takes an unowned ticket. Of two taking at once, exactly one wins."""
        return self._run(self._take, number, login, as_utc(now))

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
               note=f"taken by {operator.login}")
        return summary(ticket)

    def comment(self, number: int, login: str, note: str, *, waiting: bool = False,
                now: datetime | None = None) -> dict:
        """The owner writes to the customer (the first such message is the first response)."""
        note = required_text(note, "the note", MAX_TEXT)
        return self._run(self._comment, number, login, note, waiting, as_utc(now))

    def _comment(self, session, number, login, note, waiting, now):
        ticket, operator = self._owned(session, number, login)
        self._respond(session, ticket, operator, "commented", note, now)
        ticket.status = "waiting" if waiting else "open"
        return summary(ticket)

    def pass_on(self, number: int, login: str, note: str, now: datetime | None = None) -> dict:
        """The owner hands the ticket to the next tier, saying why (the note is required)."""
        note = required_text(note, "a note for the next tier (what was tried, why it goes up)", MAX_TEXT)
        return self._run(self._pass_on, number, login, note, as_utc(now))

    def _pass_on(self, session, number, login, note, now):
        ticket, operator = self._owned(session, number, login)
        if ticket.tier >= 3:
            raise Conflict(f"ticket #{number} is at the top tier: solve it or ask a lead")
        record_event(session, ticket, "passed_on", now, actor="operator", operator=operator,
               note=f"to tier {ticket.tier + 1}: {note}")
        self._move_up(session, ticket, now)
        return summary(ticket)

    def solve(self, number: int, login: str, *, answer: str | None = None, article_id: str | None = None,
              now: datetime | None = None) -> dict:
        answer = checked_text(answer, "the answer", MAX_TEXT) or None
        article_id = checked_text(article_id, "the article id", MAX_ARTICLE_ID) or None
        if not answer and not article_id:
            raise InvalidInput("a solution needs an answer text, a linked article, or both")
        return self._run(self._solve, number, login, answer, article_id, as_utc(now))

    def _solve(self, session, number, login, answer, article_id, now):
        ticket, operator = self._owned(session, number, login)
        note = "\n".join(filter(None, [answer, article_id and ARTICLE_NOTE + article_id]))
        self._respond(session, ticket, operator, "solved", note, now, late=now > ticket.due_at)
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

    def _respond(self, session, ticket, operator, kind, note, now, late=False):
        first = ticket.first_response_at is None
        if first:
            ticket.first_response_at = now
            late = late or now > ticket.first_response_due
        record_event(session, ticket, kind, now, actor="operator", operator=operator, note=note,
               first_response=first, late=late)
