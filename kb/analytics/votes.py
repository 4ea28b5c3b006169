"""Recording "Was this helpful?" votes, and reading them back for counts and the analytics.

Every vote keeps the question that led to the article (None when the visitor came by a link), so
the gap work can see which questions the articles do not answer.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from sqlalchemy import func, select

from kb.analytics.tables import SOURCES, Vote
from kb.db.engine import Database
from kb.errors import InvalidInput
from kb.text import text_problem, unprintable

MAX_ARTICLE_ID = 200  # the column's width
MAX_QUESTION = 500
MAX_POSITION = 2**31 - 1  # a 32-bit integer column
MAX_RECENT = 10_000
_LANG = re.compile(r"[a-z]{2}")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _as_utc(moment, label: str) -> datetime:
    """A naive UTC datetime for the database; an aware one is converted first."""
    if not isinstance(moment, datetime):
        raise InvalidInput(f"{label} must be a date and time")
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _article_problem(article_id) -> str | None:
    if not isinstance(article_id, str):
        return "the article id must be text"
    if len(article_id) > MAX_ARTICLE_ID:
        return f"the article id is longer than {MAX_ARTICLE_ID} characters"
    if not article_id.strip():
        return "the article id is required"
    if not article_id.isprintable():
        bad = unprintable(article_id) or next(f"U+{ord(c):04X}" for c in article_id if not c.isprintable())
        return f"the article id contains a character that cannot be printed ({bad})"
    return None


def checked_article_id(article_id) -> str:
    """A non-empty article id of printable characters, at most 200 long, stripped; else InvalidInput."""
    problem = _article_problem(article_id)
    if problem:
        raise InvalidInput(problem)
    return article_id.strip()


class Votes:
    """The votes in one database: `record` one, `counts` for an article, `recent` ones for analytics."""

    def __init__(self, database: Database, *, mask=None):
        self.db = database
        self.mask = mask  # personal data out of the stored question (kb.app.services gives kb.analytics.masking)

    def record(self, article_id: str, helpful: bool, *, question: str | None = None, lang: str | None = None,
               source: str = "help", position: int | None = None, now: datetime | None = None) -> int:
        """Store one vote and return its id; InvalidInput (every problem in one line) when the input is bad."""
        problems = [p for p in (_article_problem(article_id), text_problem(question, "the question", MAX_QUESTION)) if p]
        if not isinstance(helpful, bool):
            problems.append("helpful must be true or false")
        if lang is not None and lang != "" and not (isinstance(lang, str) and _LANG.fullmatch(lang)):
            problems.append("the language must be two lower-case letters, such as ru or en")
        if not isinstance(source, str) or source not in SOURCES:
            problems.append(f"the source must be one of {', '.join(SOURCES)}")
        if position is not None and (isinstance(position, bool) or not isinstance(position, int)
                                     or not 1 <= position <= MAX_POSITION):
            problems.append("the position must be a whole number from 1 (the first result)")
        if problems:
            raise InvalidInput("; ".join(problems))
        question = (question or "").strip() or None
        if question and self.mask is not None:
            question = self.mask(question)
        values = {"article_id": article_id.strip(), "helpful": helpful, "question": question,
                  "lang": lang or None, "source": source, "position": position,
                  "created_at": utcnow() if now is None else _as_utc(now, "the time")}

        def add(session) -> int:
            vote = Vote(**values)  # a new object on each attempt (run() retries a locked SQLite)
            session.add(vote)
            session.flush()
            return vote.id

        return self.db.run(add)

    def counts(self, article_id: str) -> dict[str, int]:
        """How many visitors found the article helpful and how many did not."""
        article_id = checked_article_id(article_id)

        def count(session) -> dict[str, int]:
            rows = session.execute(select(Vote.helpful, func.count()).where(Vote.article_id == article_id)
                                   .group_by(Vote.helpful)).all()
            found = {bool(helpful): number for helpful, number in rows}
            return {"helpful": found.get(True, 0), "not_helpful": found.get(False, 0)}

        return self.db.run(count, write=False)

    def per_article(self, since: datetime, until: datetime) -> dict[str, dict]:
        """The votes cast in [since, until) per article: {article_id: {"helpful", "not_helpful",
        "unhelpful_questions": [(question, times), ...] most frequent first}}."""
        start, end = _as_utc(since, "since"), _as_utc(until, "until")

        def read(session):
            return session.execute(select(Vote.article_id, Vote.helpful, Vote.question)
                                   .where(Vote.created_at >= start, Vote.created_at < end)).all()

        found: dict[str, dict] = {}
        for article_id, helpful, question in self.db.run(read, write=False):
            slot = found.setdefault(article_id, {"helpful": 0, "not_helpful": 0, "unhelpful_questions": {}})
            slot["helpful" if helpful else "not_helpful"] += 1
            if not helpful and question:
                slot["unhelpful_questions"][question] = slot["unhelpful_questions"].get(question, 0) + 1
        for slot in found.values():
            slot["unhelpful_questions"] = sorted(slot["unhelpful_questions"].items(), key=lambda q: (-q[1], q[0]))
        return found

    def recent(self, since: datetime | None = None, limit: int = 100) -> list[dict]:
        """The newest votes first (at most `limit`, only those at or after `since` if given), as dicts
        with naive UTC `created_at` datetimes."""
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RECENT:
            raise InvalidInput(f"the limit must be a whole number from 1 to {MAX_RECENT}")
        query = select(Vote).order_by(Vote.created_at.desc(), Vote.id.desc()).limit(limit)
        if since is not None:
            query = query.where(Vote.created_at >= _as_utc(since, "since"))

        def read(session) -> list[dict]:
            return [{"id": vote.id, "article_id": vote.article_id, "helpful": vote.helpful,
                     "question": vote.question, "lang": vote.lang, "source": vote.source,
                     "position": vote.position, "created_at": vote.created_at}
                    for vote in session.scalars(query)]

        return self.db.run(read, write=False)
