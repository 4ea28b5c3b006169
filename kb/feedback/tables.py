"""The votes table: one row per "Was this helpful? Yes / No" click.

Times are naive UTC datetimes, like the desk's (SQLite has no time zones).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kb.db.engine import Base

SOURCES = ("help", "console", "api")  # the help centre's pages, the operators' console, the JSON API


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
