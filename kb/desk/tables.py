"""Tables for tickets: customers, operators, tickets and their append-only history.

Times are naive UTC datetimes (SQLite has no time zones); kb.desk.records.utcnow() makes them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    JSON,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.db.engine import Base

CHANNELS = ("web", "email", "chat", "phone", "social")
STATUSES = ("new", "open", "waiting", "solved", "closed")
UNSOLVED = ("new", "open", "waiting")
ROLES = ("operator", "editor", "lead", "admin")
EVENT_KINDS = ("created", "assigned", "commented", "passed_on", "escalated", "solved", "reopened", "rated")
TIERS = (1, 2, 3)


def _one_of(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)

    tickets: Mapped[list[Ticket]] = relationship(back_populates="customer", order_by="Ticket.id")


class Operator(Base):
    __tablename__ = "operators"
    __table_args__ = (CheckConstraint("tier BETWEEN 1 AND 3", name="tier"),
                      CheckConstraint(_one_of("role", ROLES), name="role"))

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    tier: Mapped[int] = mapped_column(Integer, default=1)
    role: Mapped[str] = mapped_column(String(20), default="operator")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    seniority: Mapped[int] = mapped_column(Integer, default=0)  # years in the team
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Part of every session id (`operators.session_id`): bumped to end all of the operator's sessions.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.login


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (CheckConstraint(_one_of("channel", CHANNELS), name="channel"),
                      CheckConstraint(_one_of("status", STATUSES), name="status"),
                      CheckConstraint("tier BETWEEN 1 AND 3", name="tier"),
                      CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
                      Index(None, "status", "tier"), Index(None, "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # the customer's key to the status page
    # Its SHA-256: the status page finds the ticket by this, so the database never compares the secret
    # itself (a comparison's time could tell how much of a guess was right).
    token_digest: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="new")
    tier: Mapped[int] = mapped_column(Integer, default=1)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_response_due: Mapped[datetime] = mapped_column(DateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)  # solution deadline at the current tier
    solved_at: Mapped[datetime | None] = mapped_column(DateTime)
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime)  # overdue at the top tier: for leads
    answer: Mapped[str | None] = mapped_column(Text)
    article_id: Mapped[str | None] = mapped_column(String(200))
    search_query: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)

    customer: Mapped[Customer] = relationship(back_populates="tickets")
    owner: Mapped[Operator | None] = relationship()
    events: Mapped[list[TicketEvent]] = relationship(back_populates="ticket", order_by="TicketEvent.id")

    # Every UPDATE checks the version it read: a concurrent change makes it fail, not overwrite.
    __mapper_args__ = {"version_id_col": version}


class TicketEvent(Base):
    """One thing that happened to a ticket. Rows are only ever added."""

    __tablename__ = "ticket_events"
    __table_args__ = (CheckConstraint(_one_of("kind", EVENT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(10))  # operator | customer | system
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))  # who acted
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))  # who owned it just before
    tier: Mapped[int] = mapped_column(Integer)  # the tier it was at just before
    note: Mapped[str] = mapped_column(Text, default="")  # what a person wrote (older rows: the desk's English too)
    # What the desk did, by kind (kb.desk.records.record_event): rendered in the reader's language.
    params: Mapped[dict | None] = mapped_column(JSON)
    first_response: Mapped[bool] = mapped_column(Boolean, default=False)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # done after its deadline

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    operator: Mapped[Operator | None] = relationship(foreign_keys=[operator_id])


class Counter(Base):
    """Named counters; ticket numbers come from `UPDATE ... SET value = value + 1 RETURNING`."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _history_is_append_only(_mapper, _connection, target):
    raise ValueError(f"ticket history is append-only: event {target.id} cannot be changed")


class ApiToken(Base):
    """A key for a program (a chat widget, a CRM) acting with one role. Only its SHA-256 is stored:
    the token itself is shown once, when it is created."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to recognise it in a list
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    created_by: Mapped[Operator | None] = relationship()
