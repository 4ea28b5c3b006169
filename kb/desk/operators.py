"""Operators: who they are, their tier and role, and their passwords (stored as hashes only)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from kb.db import Database
from kb.desk.tables import ROLES, TIERS, Operator
from kb.errors import Conflict, InvalidInput, NotFound
from kb.text import unprintable

MIN_PASSWORD = 8


def add_operator(db: Database, login: str, name: str, password: str, *, tier: int = 1,
                 role: str | None = None, seniority: int = 0, active: bool = True,
                 now: datetime | None = None) -> dict:
    """Create an operator. The very first one is an admin unless a role is given."""
    problems = [f"{label} {problem}" for label, value in (("the login", login), ("the name", name),
                                                          ("the password", password))
                if (problem := _typed_problem(value, 200 if label == "the name" else 1000))]
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

    def work(session):
        if session.scalar(select(Operator.id).where(Operator.login == login)) is not None:
            raise Conflict(f"there is already an operator with the login {login!r}")
        first = session.scalar(select(func.count(Operator.id))) == 0
        operator = Operator(login=login, name=name.strip(), password_hash=generate_password_hash(password),
                            tier=tier, role=role or ("admin" if first else "operator"), active=active,
                            seniority=seniority,
                            created_at=now or datetime.now(timezone.utc).replace(tzinfo=None))
        session.add(operator)
        session.flush()
        return operator_dict(operator)

    return db.run(work)


def list_operators(db: Database) -> list[dict]:
    return db.run(lambda s: [operator_dict(o) for o in s.scalars(select(Operator).order_by(Operator.login))])


def authenticate(db: Database, login: str, password: str) -> dict | None:
    """The operator, when the login and password match an active one; None otherwise."""
    if _typed_problem(login, 80) or _typed_problem(password, 1000):
        return None  # nothing such is stored: no need to ask the database

    def work(session):
        operator = session.scalar(select(Operator).where(Operator.login == (login or "").strip().lower()))
        if operator and operator.active and check_password_hash(operator.password_hash, password or ""):
            return operator_dict(operator)
        return None

    return db.run(work)


def find_operator(session, login: str) -> Operator:
    problem = _typed_problem(login, 80)
    if problem:
        raise InvalidInput(f"the login {problem}")
    operator = session.scalar(select(Operator).where(Operator.login == (login or "").strip().lower()))
    if operator is None:
        raise NotFound(f"no operator with the login {login!r}")
    return operator


def _typed_problem(value, limit: int) -> str | None:
    """What is wrong with a login, name or password as typed (None for nothing or no value)."""
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be text"
    if len(value) > limit:
        return f"is longer than {limit} characters"
    found = unprintable(value)
    return f"contains a control character ({found})" if found else None


def operator_dict(operator: Operator) -> dict:
    return {"login": operator.login, "name": operator.name, "tier": operator.tier, "role": operator.role,
            "active": operator.active, "seniority": operator.seniority}
