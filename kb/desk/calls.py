"""Calls: what an operator registers while the customer is on the line (the console), in one step.

Every question asked on the phone (or chat, e-mail, ...) becomes a ticket owned by the operator who
took it, answered or not, so the month's statistics count it:

- "answered": solved at once, with the answer text and/or the article read out;
- "open": open and owned by the operator, for a call-back;
- "pass_on": handed to the next tier with a note (what was tried, why it goes up).

A registered call never joins the customer's earlier open ticket: the operator chose to register it.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from kb.db.engine import Database
from kb.desk.customers import checked_request, customer_for
from kb.desk.intake import Intake
from kb.desk.records import MAX_ARTICLE_ID, MAX_TEXT, Clock, acting_operator, record_event, run_change
from kb.desk.rules import TicketRules
from kb.desk.shapes import summary
from kb.desk.tables import Customer, Ticket
from kb.desk.workflow import Workflow
from kb.desk.workhours import add_working_time, parse_schedule
from kb.errors import InvalidInput
from kb.text import text_problem

OUTCOMES = ("answered", "open", "pass_on")
MAX_CONTACT = 320
HISTORY = 10


class Calls:
    """Registering a call and looking up a caller's earlier tickets (a part of `Desk`): the ticket is
    made by `intake` and solved or passed on by `workflow`, in the call's one transaction."""

    def __init__(self, db: Database, rules: TicketRules, clock: Clock, intake: Intake, workflow: Workflow):
        self.db, self.rules, self.clock, self.intake, self.workflow = db, rules, clock, intake, workflow
        self.schedule = parse_schedule(rules.working_hours, rules.timezone)

    def register_call(self, login: str, question: str, *, email: str | None = None, phone: str | None = None,
                      name: str = "", channel: str = "phone", outcome: str = "answered",
                      article_id: str | None = None, answer: str | None = None, note: str | None = None,
                      search_query: str | None = None, now: datetime | None = None) -> dict:
        """Register the call as a ticket owned by `login`, in one transaction; every problem with
        the input is reported at once (InvalidInput) and then nothing is written."""
        now = self.clock(now)
        problems = []
        try:
            request = checked_request(question, channel, None, name, email, phone, search_query, "")
        except InvalidInput as exc:
            request = None
            problems.append(exc.message)
        if outcome not in OUTCOMES:
            problems.append(f"the outcome must be one of {', '.join(OUTCOMES)}")
        for value, label, limit in ((answer, "the answer", MAX_TEXT), (article_id, "the article id", MAX_ARTICLE_ID),
                                    (note, "the note", MAX_TEXT)):
            if problem := text_problem(value, label, limit):
                problems.append(problem)
        answer, article_id, note = ((v or "").strip() or None if isinstance(v, str) else None
                                    for v in (answer, article_id, note))
        if outcome == "answered" and not answer and not article_id:
            problems.append("an answered call needs the article read out or the answer given")
        if outcome == "pass_on" and not note:
            problems.append("a note for the next tier (what was tried, why it goes up) is required")
        if problems:
            raise InvalidInput("; ".join(problems))
        return run_change(self.db, self._register_call, login, request, outcome, answer, article_id, note, now)

    def _register_call(self, session, login, request, outcome, answer, article_id, note, now):
        operator = acting_operator(session, login)  # editors and inactive accounts are refused here
        customer = customer_for(session, request, now)
        # The call is worked at the tier of whoever took it: passed on from tier 2, it goes to tier 3.
        ticket = self.intake.new_ticket(session, customer, request, now, tier=operator.tier)
        record_event(session, ticket, "created", now, actor="operator", operator=operator,
                     params={"channel": ticket.channel, "registered_by": operator.login})
        record_event(session, ticket, "assigned", now, actor="operator", operator=operator, owner_id=None,
                     params={"how": "registered", "to": operator.login})
        ticket.owner, ticket.status, ticket.assigned_at = operator, "open", now
        if outcome != "answered":
            # The customer was spoken to: the channel's minutes do not apply, the call-back's target does.
            ticket.first_response_due = add_working_time(now, self.rules.callback_hours, self.schedule)
        session.flush()
        if outcome == "answered":
            self.workflow.solve_in(session, ticket.number, operator.login, answer, article_id, now)
        elif outcome == "pass_on":
            self.workflow.pass_on_in(session, ticket.number, operator.login, note, now)
        return dict(summary(ticket), token=ticket.token, outcome=outcome, article_id=ticket.article_id,
                    joined=False)

    def tickets_of_contact(self, contact: str, limit: int = HISTORY) -> list[dict]:
        """The latest tickets of the customer with this e-mail address or phone number, newest
        first (e-mail matched in lower case, a phone number by its digits and +, as intake stores
        them); [] for a contact nobody has, or that is not an address or a number yet."""
        if problem := text_problem(contact, "the contact", MAX_CONTACT):
            raise InvalidInput(problem)
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
            raise InvalidInput("the limit must be a whole number from 1 to 100")
        contact = (contact or "").strip()
        if "@" in contact:
            column, value = Customer.email, contact.lower()
        else:
            value = re.sub(r"[^0-9+]", "", contact)
            if not 5 <= len(value.lstrip("+")) <= 20:
                return []
            column = Customer.phone
        return self.db.run(_tickets_of, column, value, limit, write=False)


def _tickets_of(session, column, value, limit) -> list[dict]:
    tickets = session.scalars(
        select(Ticket).join(Customer).where(column == value).options(joinedload(Ticket.owner))
        .order_by(Ticket.id.desc()).limit(limit)).all()
    return [dict(summary(t), article_id=t.article_id, name=t.customer.name) for t in tickets]
