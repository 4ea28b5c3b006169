"""The gap finder's saved state: `gap_clusters`, one row per topic found (its status and what the last
run made of it), and `gap_questions`, every failed question folded in (a copy of what the search saw,
with its vector, so the worker restores its clusters without the model and without the query log,
whose rows retention deletes). `gap_marks` holds how far the worker has read its sources.

A cluster is "open" (suggested when big enough), "dismissed" (closed by an editor; it keeps
swallowing its topic's new questions so they never come back as a new suggestion), or "drafted" /
"accepted" (an editor acted on it: its questions are done with and leave the clustering).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, CheckConstraint, DateTime, Float, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from kb.db.engine import Base

STATUSES = ("open", "dismissed", "drafted", "accepted")
LIVE = ("open", "dismissed")  # the clusters the worker restores and folds into
KINDS = ("missing", "add")
SOURCES = ("question", "ticket")  # a row of the query log, or a ticket solved without a question row


class GapCluster(Base):
    __tablename__ = "gap_clusters"
    __table_args__ = (CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the clusterer's own id
    status: Mapped[str] = mapped_column(String(10), default="open")
    anchor: Mapped[str | None] = mapped_column(String(200))  # an article's phrasings started it
    # What the last run made of it (kb.gaps.suggestions); `suggested` false while too small or off-domain.
    suggested: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str | None] = mapped_column(String(10))
    article: Mapped[str | None] = mapped_column(String(200))  # for "add": the article to add wordings to
    title: Mapped[str | None] = mapped_column(Text)
    nearest_article: Mapped[str | None] = mapped_column(String(200))
    nearest_similarity: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(80))  # the editor's login
    outcome: Mapped[str | None] = mapped_column(Text)  # the draft's file, or the article wordings went to


class GapQuestion(Base):
    __tablename__ = "gap_questions"
    __table_args__ = (UniqueConstraint("source", "ref"),
                      CheckConstraint(f"source IN ({', '.join(repr(s) for s in SOURCES)})", name="source"))

    id: Mapped[int] = mapped_column(primary_key=True)  # fold order
    source: Mapped[str] = mapped_column(String(10))
    ref: Mapped[int] = mapped_column(Integer)  # questions.id, or the ticket's number
    cluster_id: Mapped[int | None] = mapped_column(Integer, index=True)  # None: in the pool
    text: Mapped[str] = mapped_column(Text)  # masked, as in the query log
    lang: Mapped[str | None] = mapped_column(String(2))
    asked_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    visitor: Mapped[str] = mapped_column(String(80))
    network: Mapped[str | None] = mapped_column(String(32))  # as in the query log
    no_match: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)
    results: Mapped[list] = mapped_column(JSON)
    vote: Mapped[str | None] = mapped_column(String(12))
    ticket: Mapped[int | None] = mapped_column(Integer)
    solved_with: Mapped[str | None] = mapped_column(String(200))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, the plain joint vector
    folded_at: Mapped[datetime] = mapped_column(DateTime)


class GapMark(Base):
    """How far the worker has read a source: the newest change it has seen."""

    __tablename__ = "gap_marks"

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    seen_until: Mapped[datetime] = mapped_column(DateTime)
