"""Where the gap finder's questions come from: the query log (every search, with its vote and the
ticket it led to) and the desk (tickets solved, with or without an article).

Read incrementally: what changed since the worker's last mark. A question row changes after it is
written (a "not helpful" vote, a ticket), and a ticket is solved days after its question, so both
sources are read by their time of change, with a margin for rows written late by the query log's
writer; what was already folded is recognised by its (source, ref) and only brought up to date.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from kb.analytics.masking import mask
from kb.analytics.tables import Question
from kb.desk.tables import Ticket
from kb.gaps.inputs import AskedQuestion

# The query log's writer holds a question back a few seconds and writes in batches: rows can land
# with a change time a little before the mark. Re-reading a margin costs only a few lookups.
MARGIN = timedelta(minutes=10)


@dataclass
class Change:
    source: str  # "question" | "ticket"
    ref: int
    question: AskedQuestion
    changed_at: datetime


def _vote(value: bool | None) -> str | None:
    return None if value is None else ("helpful" if value else "not helpful")


def question_changes(session, since: datetime | None) -> list[Change]:
    """Query-log rows changed since `since`, with the article their ticket was solved with."""
    query = select(Question).order_by(Question.updated_at, Question.id)
    if since is not None:
        query = query.where(Question.updated_at >= since - MARGIN)
    rows = list(session.scalars(query))
    numbers = {row.ticket for row in rows if row.ticket is not None}
    solved = _solved_with(session, numbers)
    return [Change("question", row.id, AskedQuestion(
        text=row.text, lang=row.lang, asked_at=row.asked_at, visitor=row.visitor, network=row.network,
        no_match=row.no_match,
        confidence=row.confidence, results=[(a, c) for a, c in row.results or []], vote=_vote(row.vote),
        ticket=str(row.ticket) if row.ticket is not None else None, solved_with=solved.get(row.ticket)),
        row.updated_at) for row in rows]


def ticket_changes(session, since: datetime | None) -> list[Change]:
    """Tickets solved since `since` that no question of the log led to (e-mail, calls, the API
    without a search): the customer's own words, with the article the operator solved it with."""
    query = select(Ticket).where(Ticket.solved_at.is_not(None)).order_by(Ticket.solved_at, Ticket.id)
    if since is not None:
        query = query.where(Ticket.solved_at >= since - MARGIN)
    tickets = list(session.scalars(query))
    logged = set(session.scalars(select(Question.ticket).where(
        Question.ticket.in_([t.number for t in tickets])))) if tickets else set()
    return [Change("ticket", t.number, AskedQuestion(
        text=mask(" ".join(t.question.split())[:500]), lang=(t.language or "")[:2] or None, asked_at=t.created_at,
        visitor=f"customer:{t.customer_id}", no_match=t.article_id is None, confidence=0.0, ticket=str(t.number),
        solved_with=t.article_id), t.solved_at) for t in tickets if t.number not in logged]


def _solved_with(session, numbers: set[int]) -> dict[int, str]:
    if not numbers:
        return {}
    rows = session.execute(select(Ticket.number, Ticket.article_id).where(
        Ticket.number.in_(numbers), Ticket.solved_at.is_not(None), Ticket.article_id.is_not(None)))
    return dict(rows.all())


def tickets_solved_since(session, since: datetime | None) -> list[tuple[int, str | None, datetime]]:
    """Tickets solved since `since`: (number, article or None, solved at). A question folded before
    its ticket was solved learns the article here."""
    query = select(Ticket.number, Ticket.article_id, Ticket.solved_at).where(Ticket.solved_at.is_not(None))
    if since is not None:
        query = query.where(Ticket.solved_at >= since - MARGIN)
    return [tuple(row) for row in session.execute(query).all()]
