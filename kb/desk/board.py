"""The leads' board: what is open now, what is late or about to be, who holds what; and reassigning
a ticket from one operator to another."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from kb.db.engine import Database
from kb.desk.deadlines import deadline_state, next_deadline
from kb.desk.operators import find_operator
from kb.desk.records import MAX_TEXT, Clock, acting_operator, checked_text, record_event, run_change, ticket_by_number
from kb.desk.rules import TicketRules
from kb.desk.shapes import summary
from kb.desk.tables import TIERS, UNSOLVED, Operator, Ticket
from kb.errors import Conflict, InvalidInput, NotAllowed

MAX_BOARD = 200  # tickets in each list of the board; more is not a board any more


def _row(ticket: Ticket) -> dict:
    customer = ticket.customer
    return dict(summary(ticket), customer=customer.name or customer.email or customer.phone or "",
                owner_name=ticket.owner.name if ticket.owner else None)


class Board:
    """The leads' view of the desk (a part of `Desk`)."""

    def __init__(self, db: Database, rules: TicketRules, clock: Clock):
        self.db, self.rules, self.clock = db, rules, clock

    def board(self, now: datetime | None = None) -> dict:
        """Open tickets per tier; overdue and due-soon lists (kb.desk.deadlines: each ticket's next
        deadline); flagged top-tier escalations; per operator the tickets they hold; the operators a
        ticket can be given to."""
        now = self.clock(now)

        def work(session):
            tickets = session.scalars(select(Ticket).where(Ticket.status.in_(UNSOLVED))
                                      .order_by(Ticket.number)).all()
            operators = session.scalars(select(Operator).where(Operator.active, Operator.role != "editor")
                                        .order_by(Operator.tier, Operator.login)).all()
            # New tickets are assigned to the active operators (role operator) of their tier: without one,
            # they wait unowned until someone of that tier or higher takes them.
            assignable = {o.tier for o in operators if o.role == "operator"}
            rows = [_row(t) for t in tickets]
            tiers = {tier: {"tier": tier, "unowned": 0, "open": 0, "waiting": 0, "assignable": tier in assignable}
                     for tier in TIERS}
            overdue, soon, flagged = [], [], []
            holding = {o.id: {"login": o.login, "name": o.name, "tier": o.tier, "role": o.role, "active": True,
                              "tickets": []} for o in operators}
            for ticket, row in zip(tickets, rows):
                counts = tiers[ticket.tier]
                if ticket.owner_id is None:
                    counts["unowned"] += 1
                else:
                    counts["waiting" if ticket.status == "waiting" else "open"] += 1
                    holder = holding.setdefault(ticket.owner_id, {
                        "login": ticket.owner.login, "name": ticket.owner.name, "tier": ticket.owner.tier,
                        "role": ticket.owner.role, "active": ticket.owner.active,
                        "tickets": []})  # an inactive operator still holding some
                    holder["tickets"].append(row)
                kind, due = next_deadline(row)
                row["deadline"], row["deadline_at"] = kind, due
                if ticket.flagged_at is not None:
                    flagged.append(row)
                allowed = (self.rules.first_response_target(ticket.channel) if kind == "first_response"
                           else self.rules.tier_deadline(ticket.tier))
                state = deadline_state(due, allowed, now)
                if state == "late":
                    overdue.append(row)
                elif state == "soon":
                    soon.append(row)
            people = sorted(holding.values(), key=lambda h: (-len(h["tickets"]), h["tier"], h["login"]))
            for person in people:
                person["count"] = len(person["tickets"])
            by_due = lambda r: (r["deadline_at"], r["number"])  # noqa: E731
            return {
                "now": now,
                "tiers": list(tiers.values()),
                "overdue": sorted(overdue, key=by_due)[:MAX_BOARD],
                "due_soon": sorted(soon, key=by_due)[:MAX_BOARD],
                "flagged": sorted(flagged, key=lambda r: (r["flagged_at"], r["number"]))[:MAX_BOARD],
                "holding": people,
                "operators": [{"login": o.login, "name": o.name, "tier": o.tier, "role": o.role}
                              for o in operators],
            }

        return self.db.run(work, write=False)

    def reassign(self, number: int, lead_login: str, to_login: str, note: str = "",
                 now: datetime | None = None) -> dict:
        """A lead (or an admin) gives the ticket to another operator of its tier or higher.

        The "assigned" event names the new owner as its operator, as every assignment does (the monthly
        report counts it as a ticket they received); its note says which lead did it and why."""
        note = checked_text(note, "the note", MAX_TEXT)
        return run_change(self.db, self._reassign, number, lead_login, to_login, note, self.clock(now))

    def _reassign(self, session, number, lead_login, to_login, note, now):
        lead = acting_operator(session, lead_login)
        if lead.role not in ("lead", "admin"):
            raise NotAllowed(f"only a lead or an admin can reassign tickets; {lead.login} is an {lead.role}")
        ticket = ticket_by_number(session, number)
        if ticket.status not in UNSOLVED:
            raise Conflict(f"ticket #{number} is {ticket.status}: there is nothing to reassign")
        target = find_operator(session, to_login)
        if not target.active:
            raise InvalidInput(f"{target.login} is not active")
        if target.role == "editor":
            raise InvalidInput(f"{target.login} is an editor; tickets are for operators, leads and admins")
        if target.tier < ticket.tier:
            raise InvalidInput(f"ticket #{number} is at tier {ticket.tier}; {target.login} works at tier {target.tier}")
        if ticket.owner_id == target.id:
            raise Conflict(f"ticket #{number} already belongs to {target.login}")
        record_event(session, ticket, "assigned", now, actor="operator", operator=target, note=note,
                     params={"how": "reassigned", "to": target.login, "by": lead.login})
        ticket.owner, ticket.assigned_at = target, now
        if ticket.status == "new":
            ticket.status = "open"
        session.flush()
        return summary(ticket)
