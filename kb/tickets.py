"""Tickets: a question the knowledge base could not answer, tracked until someone answers it.

Rules (see README, "Tickets"): one owner at a time; the owner solves it or passes it on to the
next tier with a note; overdue tickets go up a tier by themselves; every change is an event.
`Desk` is the one entry point for the `kb` command and the web app. Every method takes `now`
(naive UTC) so deadlines can be tested without waiting.
"""
from __future__ import annotations

import logging
import re
import secrets
import statistics
import threading
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from kb.config import TicketRules
from kb.db import Database
from kb.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kb.models import CHANNELS, UNSOLVED, Counter, Customer, Operator, Ticket, TicketEvent
from kb.operators import find_operator
from kb.workhours import add_working_time, parse_schedule

log = logging.getLogger(__name__)

MAX_QUESTION = 2000
MAX_TEXT = 5000
DEFAULT_HANDLING_HOURS = 0.5  # until there is history to measure
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    return now.astimezone(timezone.utc).replace(tzinfo=None) if now.tzinfo else now


def _same_text(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower().replace("ё", "е")))


class Desk:
    """The support desk over one database: creating, assigning, solving and escalating tickets."""

    def __init__(self, db: Database, rules: TicketRules | None = None, embed=None):
        self.db = db
        self.rules = rules or TicketRules()
        self.schedule = parse_schedule(self.rules.working_hours, self.rules.timezone)
        self._embed = embed  # texts -> unit vectors; the e5 model unless a test brings its own

    def embed(self, texts: list[str]) -> np.ndarray:
        if self._embed is None:
            from kb.embedders import get_embedder

            self._embed = get_embedder(self.rules.duplicate_embedder).encode
        return self._embed(texts)

    def _run(self, work, *args):
        try:
            return self.db.run(work, *args)
        except StaleDataError:
            raise Conflict("the ticket changed while this was being done: look at it again") from None

    # --- customers ---------------------------------------------------------------------------

    def create_ticket(self, question: str, *, channel: str = "web", language: str | None = None,
                      name: str = "", email: str | None = None, phone: str | None = None,
                      search_query: str | None = None, details: str = "", now: datetime | None = None) -> dict:
        """Register a question. The same customer asking it again within the window joins the open one."""
        now = _utc(now)
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
        _event(session, ticket, "commented", now, actor="customer", note=f"asked again: {text}")
        return dict(_summary(ticket), token=ticket.token, joined=True)

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
        _event(session, ticket, "created", now, actor="customer", note=f"via {ticket.channel}")
        self._auto_assign(session, ticket, now)
        return dict(_summary(ticket), token=ticket.token, joined=False)

    def add_details(self, token: str, text: str, now: datetime | None = None) -> dict:
        """The customer adds to their question; a solved ticket opens again for its owner."""
        text = _required(text, "the text", MAX_TEXT)
        return self._run(self._add_details, token, text, _utc(now))

    def _add_details(self, session, token, text, now):
        ticket = _by_token(session, token)
        if ticket.status == "closed":
            raise Conflict("this request is closed; please ask your question again as a new one")
        _append_details(ticket, text)
        _event(session, ticket, "commented", now, actor="customer", note=text)
        if ticket.status == "solved":
            _event(session, ticket, "reopened", now, actor="customer", note="the customer wrote again")
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
        return self._run(self._rate, token, rating, _utc(now))

    def _rate(self, session, token, rating, now):
        ticket = _by_token(session, token)
        if ticket.status != "solved":
            raise Conflict("there is no answer to rate yet" if ticket.status in UNSOLVED
                           else "this answer has already been rated")
        _event(session, ticket, "rated", now, actor="customer", note=str(rating))
        ticket.rating = rating
        ticket.status = "closed"
        return self._status(session, ticket, now)

    def status(self, token: str, now: datetime | None = None) -> dict:
        """What the customer's status page shows."""
        return self.db.run(lambda s: self._status(s, _by_token(s, token), _utc(now)))

    def _status(self, session, ticket: Ticket, now: datetime) -> dict:
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
                "can_add_details": ticket.status != "closed", "can_rate": ticket.status == "solved"}

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

    # --- operators ---------------------------------------------------------------------------

    def take(self, number: int, login: str, now: datetime | None = None) -> dict:
        """An operator takes an unowned ticket. Of two taking at once, exactly one wins."""
        return self._run(self._take, number, login, _utc(now))

    def _take(self, session, number, login, now):
        operator = _worker(session, login)
        ticket = _by_number(session, number)
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
        _event(session, ticket, "assigned", now, actor="operator", operator=operator, owner_id=None,
               note=f"taken by {operator.login}")
        return _summary(ticket)

    def comment(self, number: int, login: str, note: str, *, waiting: bool = False,
                now: datetime | None = None) -> dict:
        """The owner writes to the customer (the first such message is the first response)."""
        note = _required(note, "the note", MAX_TEXT)
        return self._run(self._comment, number, login, note, waiting, _utc(now))

    def _comment(self, session, number, login, note, waiting, now):
        ticket, operator = self._owned(session, number, login)
        self._respond(session, ticket, operator, "commented", note, now)
        ticket.status = "waiting" if waiting else "open"
        return _summary(ticket)

    def pass_on(self, number: int, login: str, note: str, now: datetime | None = None) -> dict:
        """The owner hands the ticket to the next tier, saying why (the note is required)."""
        note = _required(note, "a note for the next tier (what was tried, why it goes up)", MAX_TEXT)
        return self._run(self._pass_on, number, login, note, _utc(now))

    def _pass_on(self, session, number, login, note, now):
        ticket, operator = self._owned(session, number, login)
        if ticket.tier >= 3:
            raise Conflict(f"ticket #{number} is at the top tier: solve it or ask a lead")
        _event(session, ticket, "passed_on", now, actor="operator", operator=operator,
               note=f"to tier {ticket.tier + 1}: {note}")
        self._move_up(session, ticket, now)
        return _summary(ticket)

    def solve(self, number: int, login: str, *, answer: str | None = None, article_id: str | None = None,
              now: datetime | None = None) -> dict:
        answer = (answer or "").strip() or None
        article_id = (article_id or "").strip() or None
        if not answer and not article_id:
            raise InvalidInput("a solution needs an answer text, a linked article, or both")
        if answer and len(answer) > MAX_TEXT:
            raise InvalidInput(f"the answer is longer than {MAX_TEXT} characters")
        return self._run(self._solve, number, login, answer, article_id, _utc(now))

    def _solve(self, session, number, login, answer, article_id, now):
        ticket, operator = self._owned(session, number, login)
        note = "\n".join(filter(None, [answer, article_id and f"article: {article_id}"]))
        self._respond(session, ticket, operator, "solved", note, now, late=now > ticket.due_at)
        ticket.status, ticket.solved_at, ticket.answer, ticket.article_id = "solved", now, answer, article_id
        return _summary(ticket)

    def _owned(self, session, number, login) -> tuple[Ticket, Operator]:
        operator = _worker(session, login)
        ticket = _by_number(session, number)
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
        _event(session, ticket, kind, now, actor="operator", operator=operator, note=note,
               first_response=first, late=late)

    # --- queues and deadlines ------------------------------------------------------------------

    def _auto_assign(self, session, ticket: Ticket, now: datetime) -> None:
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
        _event(session, ticket, "assigned", now, actor="system", operator=chosen, owner_id=None,
               note=f"assigned to {chosen.login}")

    def _move_up(self, session, ticket: Ticket, now: datetime) -> None:
        ticket.tier += 1
        ticket.owner, ticket.status, ticket.assigned_at = None, "new", None
        ticket.due_at = now + timedelta(hours=self.rules.tier_deadline(ticket.tier))
        session.flush()
        self._auto_assign(session, ticket, now)

    def escalate_overdue(self, now: datetime | None = None) -> list[dict]:
        """Move every ticket past its deadline up a tier; at tier 3, flag it for the leads.

        Idempotent: a moved ticket has a new deadline and a flagged one is not flagged again,
        so running it every minute, even from several servers at once, does each thing once.
        """
        now = _utc(now)
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
        if ticket.tier >= 3:
            _event(session, ticket, "escalated", now, actor="system", note=f"{why}: flagged for the leads", late=True)
            ticket.flagged_at = now
        else:
            _event(session, ticket, "escalated", now, actor="system", note=f"{why}: moved to tier {ticket.tier + 1}",
                   late=True)
            self._move_up(session, ticket, now)
        session.flush()
        return dict(_summary(ticket), reason=why)

    # --- reading -------------------------------------------------------------------------------

    def list_tickets(self, *, status: str | None = None, tier: int | None = None, owner: str | None = None,
                     limit: int = 100) -> list[dict]:
        def work(session):
            query = select(Ticket).order_by(Ticket.number).limit(limit)
            query = query.where(Ticket.status == status) if status else query.where(Ticket.status.in_(UNSOLVED))
            if tier:
                query = query.where(Ticket.tier == tier)
            if owner:
                query = query.where(Ticket.owner_id == find_operator(session, owner).id)
            return [_summary(t) for t in session.scalars(query)]

        return self.db.run(work)

    def show(self, number: int) -> dict:
        """Everything about one ticket, with its whole history, for operators."""
        def work(session):
            ticket = _by_number(session, number)
            customer = ticket.customer
            return dict(_summary(ticket), details=ticket.details, answer=ticket.answer,
                        article_id=ticket.article_id, search_query=ticket.search_query, rating=ticket.rating,
                        customer={"name": customer.name, "email": customer.email, "phone": customer.phone},
                        events=[{"kind": e.kind, "at": e.at, "actor": e.actor,
                                 "operator": e.operator.login if e.operator else None,
                                 "tier": e.tier, "note": e.note, "late": e.late} for e in ticket.events])

        return self.db.run(work)


def jsonable(value):
    """Datetimes as ISO 8601 UTC strings, recursively; what the API and `--json` print."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    return value


def start_escalation_thread(desk: Desk, every_seconds: float) -> threading.Event:
    """Run `escalate_overdue` every so often in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()

    def loop():
        while not stop.wait(every_seconds):
            try:
                moved = desk.escalate_overdue()
                if moved:
                    log.info("escalated %d overdue ticket(s)", len(moved))
            except Exception:  # a database hiccup must not end the schedule
                log.exception("escalation run failed")

    threading.Thread(target=loop, name="kb-escalation", daemon=True).start()
    return stop


# --- helpers ---------------------------------------------------------------------------------------


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


def _required(text, label: str, limit: int) -> str:
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise InvalidInput(f"{label} is required")
    if len(text) > limit:
        raise InvalidInput(f"{label} is longer than {limit} characters")
    return text


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


def _event(session, ticket: Ticket, kind: str, now: datetime, *, actor: str, operator: Operator | None = None,
           owner_id: int | None | bool = False, note: str = "", first_response=False, late=False) -> None:
    """Record one event; `owner_id` defaults to the ticket's owner before the change."""
    session.add(TicketEvent(ticket=ticket, kind=kind, at=now, actor=actor, operator=operator,
                            owner_id=ticket.owner_id if owner_id is False else owner_id, tier=ticket.tier,
                            note=note, first_response=first_response, late=late))


def _by_number(session, number) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.number == int(number)))
    if ticket is None:
        raise NotFound(f"no ticket #{number}")
    return ticket


def _by_token(session, token) -> Ticket:
    ticket = session.scalar(select(Ticket).where(Ticket.token == str(token))) if token else None
    if ticket is None:
        raise NotFound("no request with this link: check the address you were given")
    return ticket


def _worker(session, login) -> Operator:
    operator = find_operator(session, login)
    if not operator.active:
        raise NotAllowed(f"{operator.login} is not active")
    if operator.role == "editor":
        raise NotAllowed(f"{operator.login} is an editor; tickets are for operators, leads and admins")
    return operator


def _summary(ticket: Ticket) -> dict:
    return {"number": ticket.number, "status": ticket.status, "tier": ticket.tier, "channel": ticket.channel,
            "language": ticket.language, "question": ticket.question,
            "owner": ticket.owner.login if ticket.owner else None, "created_at": ticket.created_at,
            "first_response_due": ticket.first_response_due, "first_response_at": ticket.first_response_at,
            "due_at": ticket.due_at, "solved_at": ticket.solved_at, "flagged_at": ticket.flagged_at}
