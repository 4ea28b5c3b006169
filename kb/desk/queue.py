"""The queue as people see it: the customer's status page (place in the queue, expected answer
time) and the operators' lists and ticket view."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from kb.db.engine import Database
from kb.desk.notes import ARTICLE_NOTE, JOINED_NOTE
from kb.desk.operators import find_operator
from kb.desk.records import Clock, checked_token, ticket_by_number, ticket_by_token
from kb.desk.rules import TicketRules
from kb.desk.shapes import summary
from kb.desk.tables import STATUSES, TIERS, UNSOLVED, Operator, Ticket
from kb.desk.workhours import add_working_time, parse_schedule
from kb.errors import InvalidInput

DEFAULT_HANDLING_HOURS = 0.5  # until there is history to measure


class Queue:
    """Reading tickets (a part of `Desk`)."""

    def __init__(self, db: Database, rules: TicketRules, clock: Clock):
        self.db, self.clock = db, clock
        self.schedule = parse_schedule(rules.working_hours, rules.timezone)

    def status(self, token: str, now: datetime | None = None) -> dict:
        """What the customer's status page shows."""
        token = checked_token(token)  # a malformed link is not looked up at all
        now = self.clock(now)
        return self.db.run(lambda s: self.status_of(s, ticket_by_token(s, token), now), write=False)

    def status_of(self, session, ticket: Ticket, now: datetime) -> dict:
        """`status` of a ticket already read in `session` (after the customer changed it, say)."""
        place = expected = None
        if ticket.status in ("new", "open"):
            place = 1 + session.scalar(select(func.count(Ticket.id)).where(
                Ticket.tier == ticket.tier, Ticket.status.in_(("new", "open")), Ticket.id < ticket.id))
            expected = self._expected_answer(session, ticket.tier, place, now)
        # Only what the customer may see: no operator logins, no internal deadlines.
        return {"number": ticket.number, "status": ticket.status, "tier": ticket.tier, "channel": ticket.channel,
                "language": ticket.language, "question": ticket.question, "details": ticket.details,
                "created_at": ticket.created_at, "first_response_at": ticket.first_response_at,
                "solved_at": ticket.solved_at, "operator": ticket.owner.first_name if ticket.owner else None,
                "place_in_queue": place, "expected_answer_at": expected, "answer": ticket.answer,
                "article_id": ticket.article_id, "rating": ticket.rating,
                "can_add_details": ticket.status != "closed", "can_rate": ticket.status == "solved",
                "messages": customer_messages(ticket)}

    def _expected_answer(self, session, tier: int, place: int, now: datetime) -> datetime:
        """Tickets ahead × recent median handling time ÷ operators of the tier, in working hours."""
        recent = session.execute(
            select(Ticket.assigned_at, Ticket.solved_at)
            .where(Ticket.tier == tier, Ticket.solved_at.is_not(None), Ticket.assigned_at.is_not(None),
                   Ticket.solved_at >= now - timedelta(days=30))
            .order_by(Ticket.solved_at.desc()).limit(100)).all()
        handling = (statistics.median((s - a).total_seconds() / 3600 for a, s in recent)
                    if recent else DEFAULT_HANDLING_HOURS)
        operators = session.scalar(select(func.count(Operator.id)).where(
            Operator.tier == tier, Operator.active, Operator.role != "editor")) or 1
        return add_working_time(now, place * handling / operators, self.schedule)

    def list_tickets(self, *, status: str | None = None, tier: int | None = None, owner: str | None = None,
                     unowned: bool = False, contacts: bool = False, limit: int = 100) -> list[dict]:
        """Unsolved tickets (or those of one status), oldest first. `unowned`: only those nobody holds
        (a tier's queue); `contacts`: each with `customer`, the name (else the e-mail or phone)."""
        if unowned and owner:
            raise InvalidInput("a ticket cannot be both unowned and owned by someone")
        if status and status not in STATUSES:
            raise InvalidInput(f"the status must be one of {', '.join(STATUSES)}")
        if tier and tier not in TIERS:
            raise InvalidInput(f"the tier must be one of {', '.join(map(str, TIERS))}")

        def work(session):
            query = select(Ticket).order_by(Ticket.number).limit(limit)
            query = query.where(Ticket.status == status) if status else query.where(Ticket.status.in_(UNSOLVED))
            if tier:
                query = query.where(Ticket.tier == tier)
            if owner:
                query = query.where(Ticket.owner_id == find_operator(session, owner).id)
            if unowned:
                query = query.where(Ticket.owner_id.is_(None))
            if not contacts:
                return [summary(t) for t in session.scalars(query)]
            return [dict(summary(t), customer=t.customer.name or t.customer.email or t.customer.phone or "")
                    for t in session.scalars(query.options(joinedload(Ticket.customer)))]

        return self.db.run(work, write=False)

    def show(self, number: int) -> dict:
        """Everything about one ticket, with its whole history, for operators."""
        def work(session):
            ticket = ticket_by_number(session, number)
            customer = ticket.customer
            # The token: operators give a customer who called the link to their request page.
            return dict(summary(ticket), token=ticket.token, details=ticket.details, answer=ticket.answer,
                        article_id=ticket.article_id, search_query=ticket.search_query, rating=ticket.rating,
                        customer={"name": customer.name, "email": customer.email, "phone": customer.phone},
                        owner_name=ticket.owner.name if ticket.owner else None,
                        other_tickets=[summary(t) for t in customer.tickets if t.id != ticket.id][-20:],
                        related=related_numbers(ticket),
                        events=[{"kind": e.kind, "at": e.at, "actor": e.actor,
                                 "operator": e.operator.login if e.operator else None,
                                 "operator_name": e.operator.name if e.operator else None,
                                 "tier": e.tier, "note": e.note, "params": e.params or {}, "late": e.late,
                                 "first_response": e.first_response} for e in ticket.events])

        return self.db.run(work, write=False)


def related_numbers(ticket: Ticket) -> list[int]:
    """The open tickets of the same contact that this one may repeat, as Intake noted when it came."""
    created = next((e for e in ticket.events if e.kind == "created"), None)
    return [int(number) for number in ((created.params or {}).get("related", []) if created else [])]


def customer_messages(ticket: Ticket) -> list[dict]:
    """The conversation the customer may see, oldest first: the operators' replies and answers (with
    the operator's first name, never a login) and the customer's own additions. Internal notes (a
    pass-on, an escalation, an assignment) are never among them."""
    messages = []
    for event in ticket.events:
        if event.kind == "commented" and event.actor == "customer":
            text = event.note.removeprefix(JOINED_NOTE)
            messages.append({"at": event.at, "author": "customer", "name": None, "text": text, "article_id": None,
                             "answer": False})
        elif event.kind in ("commented", "solved") and event.actor == "operator":
            text, article_id = event.note, (event.params or {}).get("article")
            if event.kind == "solved" and event.params is None:  # before 0008: "answer\narticle: id"
                head, _, last = text.rpartition("\n")
                if last.startswith(ARTICLE_NOTE):
                    text, article_id = head, last.removeprefix(ARTICLE_NOTE)
            messages.append({"at": event.at, "author": "operator",
                             "name": event.operator.first_name if event.operator else None,
                             "text": text, "article_id": article_id, "answer": event.kind == "solved"})
    return messages

