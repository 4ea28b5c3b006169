"""The tables of analytics: `questions`, one row per question asked (the as-you-type keystrokes of one
question are one row), `question_days`, the per-day counts that outlive the rows (retention), and
`votes`, one row per "Was this helpful? Yes / No" click.

Times are naive UTC datetimes, like the desk's. Texts are masked before they get here
(kb.analytics.masking); visitors are salted hashes, never an address.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kb.db.engine import Base

SOURCES = ("help", "console", "api")  # the help centre, the operators' console, the JSON API


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("visitor", "qid"),
                      CheckConstraint(f"source IN ({', '.join(repr(s) for s in SOURCES)})", name="source"))

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor: Mapped[str] = mapped_column(String(80))  # salted hash of the browser, or operator:<id>
    network: Mapped[str | None] = mapped_column(String(32))  # salted hash of the address (its /64 for IPv6)
    qid: Mapped[str] = mapped_column(String(40))  # the question's id from the page (keystrokes share it)
    text: Mapped[str] = mapped_column(Text)  # masked
    lang: Mapped[str | None] = mapped_column(String(2))  # the question's language as the search saw it
    source: Mapped[str] = mapped_column(String(16))
    asked_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # the first keystroke
    updated_at: Mapped[datetime] = mapped_column(DateTime)  # the last change (text, open, vote, ticket)
    no_match: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)
    results: Mapped[list] = mapped_column(JSON)  # [[article_id, confidence], ...] best first, top 5
    opened: Mapped[str | None] = mapped_column(String(200))  # the article opened from the results
    opened_pos: Mapped[int | None] = mapped_column(Integer)
    vote: Mapped[bool | None] = mapped_column(Boolean)  # "Was this helpful?" on that article
    ticket: Mapped[int | None] = mapped_column(Integer)  # the number of the ticket it led to


class QuestionDay(Base):
    __tablename__ = "question_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    lang: Mapped[str] = mapped_column(String(2), primary_key=True)  # "" when unknown
    asked: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    no_match: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    not_helpful: Mapped[int] = mapped_column(Integer, default=0)


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (CheckConstraint(f"source IN ({', '.join(repr(s) for s in SOURCES)})", name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(String(200), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    question: Mapped[str | None] = mapped_column(Text)  # what they searched; None when they came by a link
    lang: Mapped[str | None] = mapped_column(String(2))  # the page's language
    source: Mapped[str] = mapped_column(String(16))
    position: Mapped[int | None] = mapped_column(Integer)  # the article's rank in the results they clicked
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
