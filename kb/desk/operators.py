"""Operators: who they are, their tier and role, and their passwords (stored as hashes only)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from sqlalchemy import func, select, update

from kb.db.engine import Database
from kb.desk.passwords import WEAKNESSES, hash_password, needs_rehash, verify_nobody, verify_password, weakness
from kb.desk.tables import ROLES, TIERS, UNSOLVED, Operator, Ticket
from kb.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kb.text import text_problem

MIN_PASSWORD = 8


def add_operator(db: Database, login: str, name: str, password: str, *, tier: int = 1,
                 role: str | None = None, seniority: int = 0, active: bool = True,
                 now: datetime | None = None) -> dict:
    """Create an operator. The very first one is an admin unless a role is given."""
    problems = [problem for label, value in (("the login", login), ("the name", name), ("the password", password))
                if (problem := text_problem(value, label, 200 if label == "the name" else 1000))]
    if problems:
        raise InvalidInput("; ".join(problems))
    login = (login or "").strip().lower()
    if not login or len(login) > 80 or not login.replace(".", "").replace("-", "").replace("_", "").isalnum():
        problems.append("the login must be 1-80 letters, digits, '.', '-' or '_'")
    if not (name or "").strip():
        problems.append("the name is empty")
    if len(password or "") < MIN_PASSWORD:
        problems.append(f"the password must have at least {MIN_PASSWORD} characters")
    if tier not in TIERS:
        problems.append(f"the tier must be one of {TIERS}")
    if role is not None and role not in ROLES:
        problems.append(f"the role must be one of {', '.join(ROLES)}")
    if seniority < 0:
        problems.append("seniority (years in the team) cannot be negative")
    if problems:
        raise InvalidInput("; ".join(problems))
    _check_strength(password, login, name)

    def work(session):
        if session.scalar(select(Operator.id).where(Operator.login == login)) is not None:
            raise Conflict(f"there is already an operator with the login {login!r}")
        first = session.scalar(select(func.count(Operator.id))) == 0
        operator = Operator(login=login, name=name.strip(), password_hash=hash_password(password),
                            tier=tier, role=role or ("admin" if first else "operator"), active=active,
                            seniority=seniority,
                            created_at=now or datetime.now(timezone.utc).replace(tzinfo=None))
        session.add(operator)
        session.flush()
        return operator_dict(operator)

    return db.run(work)


def list_operators(db: Database) -> list[dict]:
    return db.run(lambda s: [operator_dict(o) for o in s.scalars(select(Operator).order_by(Operator.login))],
                  write=False)


def authenticate(db: Database, login: str, password: str) -> dict | None:
    """The operator, when the login and password match an active one; None otherwise."""
    if text_problem(login, "the login", 80) or text_problem(password, "the password", 1000):
        return None  # nothing such is stored: no need to ask the database

    def work(session):
        operator = session.scalar(select(Operator).where(Operator.login == (login or "").strip().lower()))
        if operator is None or not operator.active:
            verify_nobody(password or "")
            return None
        if verify_password(operator.password_hash, password or ""):
            if needs_rehash(operator.password_hash):
                operator.password_hash = hash_password(password)
            return operator_dict(operator)
        return None

    return db.run(work)


def operator_by_session(db: Database, session_id: str) -> dict | None:
    """The active operator a login session names (`operator_dict(...)["session_id"]`), or None.

    The id carries a digest of the password hash and of the session generation, so changing or
    resetting a password ends the operator's other sessions, and signing out (`end_sessions`) or
    being deactivated ends all of theirs, even copies of the cookie taken before."""
    number, _, stamp = (session_id or "").partition(".")
    if not (number.isascii() and number.isdigit() and len(number) <= 10):
        return None

    def work(session):
        operator = session.get(Operator, int(number))
        if operator is None or not operator.active or _stamp(operator) != stamp:
            return None
        return operator_dict(operator)

    return db.run(work, write=False)


def end_sessions(db: Database, session_id: str) -> None:
    """Sign the operator out on the server: every session id issued so far stops working."""
    number = (session_id or "").partition(".")[0]
    if number.isascii() and number.isdigit() and len(number) <= 10:
        db.run(lambda session: session.execute(
            update(Operator).where(Operator.id == int(number))
            .values(session_generation=Operator.session_generation + 1)))


def change_password(db: Database, login: str, old: str, new: str) -> dict:
    """The operator's own change: the old password must match."""
    _check_new_password(new)

    def work(session):
        operator = find_operator(session, login)
        if not verify_password(operator.password_hash, old or ""):
            raise NotAllowed("the current password is not right")
        _check_strength(new, operator.login, operator.name)
        operator.password_hash = hash_password(new)
        return operator_dict(operator)

    return db.run(work)


def update_operator(db: Database, login: str, *, name: str | None = None, tier: int | None = None,
                    role: str | None = None, active: bool | None = None, password: str | None = None,
                    acting: str | None = None) -> dict:
    """An admin changes an operator: name, tier, role, active, or a new password (a reset).

    An admin cannot deactivate or demote themselves: someone must be left to let people in. Deactivating
    someone returns their unsolved tickets to their tiers' queues (`returned_tickets`), in the same
    transaction."""
    if tier is not None and tier not in TIERS:
        raise InvalidInput(f"the tier must be one of {TIERS}")
    if role is not None and role not in ROLES:
        raise InvalidInput(f"the role must be one of {', '.join(ROLES)}")
    if name is not None:
        problem = text_problem(name, "the name", 200)
        if problem or not name.strip():
            raise InvalidInput(problem or "the name is empty")
    if password is not None:
        _check_new_password(password)

    def work(session):
        operator = find_operator(session, login)
        if acting and operator.login == acting and (active is False or (role and role != "admin")):
            raise NotAllowed("you cannot deactivate yourself or take away your own admin role")
        if name is not None:
            operator.name = name.strip()
        if tier is not None:
            operator.tier = tier
        if role is not None:
            operator.role = role
        if active is False and operator.active:
            returned_tickets(session, operator, datetime.now(timezone.utc).replace(tzinfo=None))
        if active is not None:
            if not active:
                operator.session_generation += 1  # a reactivation must not bring the old sessions back
            operator.active = active
        if password is not None:
            _check_strength(password, operator.login, operator.name)
            operator.password_hash = hash_password(password)
        return operator_dict(operator)

    return db.run(work)


def returned_tickets(session, operator: Operator, now: datetime) -> list[int]:
    """Give up every unsolved ticket `operator` holds: each goes back to its tier's queue (new, no
    owner), with an "assigned" event saying so. The numbers of those returned."""
    from kb.desk.records import record_event  # records looks operators up here: imported when used

    tickets = session.scalars(select(Ticket).where(Ticket.owner_id == operator.id, Ticket.status.in_(UNSOLVED))
                              .order_by(Ticket.number)).all()
    for ticket in tickets:
        record_event(session, ticket, "assigned", now, actor="system", params={"how": "returned", "from": operator.login})
        ticket.owner, ticket.status, ticket.assigned_at = None, "new", None
    session.flush()
    return [ticket.number for ticket in tickets]


def _check_new_password(password) -> None:
    problem = text_problem(password, "the password", 1000)
    if problem:
        raise InvalidInput(problem)
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")


def _check_strength(password: str, login: str, name: str) -> None:
    refused = weakness(password, login=login, name=name)
    if refused:
        raise InvalidInput(WEAKNESSES[refused], code=refused)


def _stamp(operator: Operator) -> str:
    return hashlib.sha256(f"{operator.session_generation}:{operator.password_hash}".encode()).hexdigest()[:16]


def find_operator(session, login: str) -> Operator:
    problem = text_problem(login, "the login", 80)
    if problem:
        raise InvalidInput(problem)
    operator = session.scalar(select(Operator).where(Operator.login == (login or "").strip().lower()))
    if operator is None:
        raise NotFound(f"no operator with the login {login!r}")
    return operator


def operator_dict(operator: Operator) -> dict:
    return {"id": operator.id, "session_id": f"{operator.id}.{_stamp(operator)}", "login": operator.login, "name": operator.name, "tier": operator.tier, "role": operator.role,
            "active": operator.active, "seniority": operator.seniority}
