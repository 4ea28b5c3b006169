"""Routing: who gets a ticket (assignment by load and seniority) and escalation past the deadline."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm.exc import StaleDataError

from kb.db.engine import Database
from kb.desk.records import Clock, record_event
from kb.desk.rules import TicketRules
from kb.desk.shapes import summary
from kb.desk.tables import UNSOLVED, Operator, Ticket


class Routing:
    """Assignment and escalation (a part of `Desk`)."""

    def __init__(self, db: Database, rules: TicketRules, clock: Clock):
        self.db, self.rules, self.clock = db, rules, clock

    def auto_assign(self, session, ticket: Ticket, now: datetime) -> None:
        """Give the ticket to the active operator of its tier with the least load per weight."""
        if not self.rules.auto_assign:
            return
        operators = session.scalars(select(Operator).where(
            Operator.tier == ticket.tier, Operator.active, Operator.role == "operator")).all()
        if not operators:
            return
        loads = dict(session.execute(
            select(Ticket.owner_id, func.count(Ticket.id))
            .where(Ticket.owner_id.in_([o.id for o in operators]), Ticket.status.in_(("open", "waiting")))
            .group_by(Ticket.owner_id)).all())
        chosen = min(operators, key=lambda o: ((loads.get(o.id, 0) + 1) / self.rules.seniority_weight(o.seniority),
                                               -o.seniority, o.id))
        ticket.owner, ticket.status, ticket.assigned_at = chosen, "open", now
        record_event(session, ticket, "assigned", now, actor="system", operator=chosen, owner_id=None,
                     params={"how": "auto", "to": chosen.login})

    def move_up(self, session, ticket: Ticket, now: datetime) -> None:
        """The ticket goes to the next tier's queue, with that tier's deadline (and maybe an owner)."""
        ticket.tier += 1
        ticket.owner, ticket.status, ticket.assigned_at = None, "new", None
        ticket.due_at = now + timedelta(hours=self.rules.tier_deadline(ticket.tier))
        session.flush()
        self.auto_assign(session, ticket, now)

    def escalate_overdue(self, now: datetime | None = None) -> list[dict]:
        """Move every ticket past its deadline up a tier; at tier 3, flag it for the leads.

        Idempotent: a moved ticket has a new deadline and a flagged one is not flagged again,
        so running it every minute, even from several servers at once, does each thing once.
        """
        now = self.clock(now)
        overdue = self.db.run(lambda s: s.scalars(select(Ticket.id).where(
            Ticket.status.in_(UNSOLVED), Ticket.due_at <= now,
            or_(Ticket.tier < 3, Ticket.flagged_at.is_(None))).order_by(Ticket.id)).all())
        done = []
        for ticket_id in overdue:
            try:
                result = self.db.run(self._escalate_one, ticket_id, now)
            except StaleDataError:
                continue  # changed by someone else meanwhile; the next run looks at it again
            if result:
                done.append(result)
        return done

    def _escalate_one(self, session, ticket_id, now):
        ticket = session.get(Ticket, ticket_id)
        if ticket.status not in UNSOLVED or ticket.due_at > now or (ticket.tier >= 3 and ticket.flagged_at):
            return None
        hours = self.rules.tier_deadline(ticket.tier)
        why = f"not solved within {hours:g} h at tier {ticket.tier} (due {ticket.due_at:%Y-%m-%d %H:%M} UTC)"
        params = {"hours": hours, "due": ticket.due_at.isoformat(timespec="minutes")}
        if ticket.tier >= 3:
            record_event(session, ticket, "escalated", now, actor="system", params=dict(params, flagged=True),
                         late=True)
            ticket.flagged_at = now
        else:
            record_event(session, ticket, "escalated", now, actor="system", params=dict(params, to_tier=ticket.tier + 1),
                         late=True)
            self.move_up(session, ticket, now)
        session.flush()
        return dict(summary(ticket), reason=why)
