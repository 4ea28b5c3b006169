"""API tokens for integrations: created by an admin with a role and a name, shown once, revocable.

A token is `kb_` + 32 random bytes (secrets.token_urlsafe); the database keeps its SHA-256, so a
copy of the database does not give anyone a working token. A plain hash (no salt, no argon2) is
right here: the token has 256 bits of entropy, so nothing can be guessed, and every API call
looks it up by its digest."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from kb.db.engine import Database
from kb.desk.records import as_utc, checked_text
from kb.desk.tables import ROLES, ApiToken, Operator
from kb.errors import InvalidInput, NotFound

PREFIX = "kb_"
MAX_TOKEN_CHARS = 100
# `last_used_at` is written at most this often per token, so API calls do not all write.
TOUCH_EVERY = timedelta(minutes=5)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Database, name: str, role: str, created_by: int | None = None,
                 now: datetime | None = None) -> tuple[str, dict]:
    """(the token, its record). The token is not stored: this is the only time it is seen."""
    name = checked_text(name, "the name", 200)
    if not name:
        raise InvalidInput("give the token a name (what uses it: “chat widget”, “CRM”)")
    if role not in ROLES:
        raise InvalidInput(f"the role must be one of {', '.join(ROLES)}")
    token = PREFIX + secrets.token_urlsafe(32)

    def work(session):
        row = ApiToken(name=name, role=role, digest=_digest(token), prefix=token[:10],
                       created_by_id=created_by, created_at=as_utc(now))
        session.add(row)
        session.flush()
        return token_dict(row)

    return token, db.run(work)


def list_tokens(db: Database) -> list[dict]:
    return db.run(lambda s: [token_dict(t) for t in s.scalars(select(ApiToken).order_by(ApiToken.id.desc()))],
                  write=False)


def revoke_token(db: Database, token_id: int, now: datetime | None = None) -> dict:
    def work(session):
        row = session.get(ApiToken, token_id) if isinstance(token_id, int) else None
        if row is None:
            raise NotFound(f"no API token {token_id}")
        row.revoked_at = row.revoked_at or as_utc(now)
        return token_dict(row)

    return db.run(work)


def token_role(db: Database, token: str, now: datetime | None = None) -> dict | None:
    """{"id", "name", "role"} of a live token; None for an unknown or revoked one."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > MAX_TOKEN_CHARS:
        return None
    now = as_utc(now)

    def work(session):
        row = session.scalar(select(ApiToken).where(ApiToken.digest == _digest(token)))
        if row is None or row.revoked_at is not None:
            return None
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        return {"id": row.id, "name": row.name, "role": row.role}

    return db.run(work)


def token_dict(row: ApiToken) -> dict:
    creator = row.created_by
    return {"id": row.id, "name": row.name, "role": row.role, "prefix": row.prefix,
            "created_by": creator.login if isinstance(creator, Operator) else None,
            "created_at": row.created_at, "last_used_at": row.last_used_at, "revoked_at": row.revoked_at}
