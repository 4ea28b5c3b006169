"""Where customers struggle, for leads: the query log's figures (kb.analytics.figures), the votes
(kb.analytics.votes) and the tickets (kb.desk) of a range of days joined into one report — the page
/lead/questions, its CSV tables and `kb analytics` all read `insights()`. It lives above analytics
and the desk, which never import each other.

An article is weak when visitors often say it did not help or open a ticket after reading it: ranked
by (not helpful + tickets) / (not helpful + tickets + helpful + 2), the share of bad endings pulled
towards zero when few have read it; the questions that led to it (from the log, and those asked before a "not helpful" vote) come with it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from kb.analytics.figures import LEADING, question_figures, share
from kb.analytics.log import QueryLog
from kb.analytics.votes import Votes
from kb.csv_files import csv_text
from kb.desk.reports import tickets_per_day
from kb.errors import InvalidInput

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
WEAKEST = 10

# The CSV tables: name -> columns.
TABLES = {
    "days": ("day", "asked", "help", "console", "api", "answered", "no_match", "opened", "helpful", "not_helpful"),
    "top": ("question", "asked", "answered", "no_match", "opened", "tickets", "last_asked"),
    "unanswered": ("question", "asked", "tickets", "last_asked"),
    "articles": ("article_id", "opened", "helpful", "not_helpful", "helpful_share", "tickets", "questions"),
    "weakest": ("article_id", "not_helpful", "tickets", "helpful", "helpful_share", "trouble", "opened", "questions"),
    "tickets": ("day", "tier_1", "tier_2", "tier_3", "total"),
}


def date_range(since: str | date | None, until: str | date | None, today: date | None = None) -> tuple[date, date]:
    """The days asked for: `until` defaults to today (UTC), `since` to 30 days up to `until`;
    InvalidInput for a date that is not YYYY-MM-DD, a range backwards or longer than three years."""
    today = today or datetime.utcnow().date()

    def parse(value, label):
        if value is None or value == "":
            return None
        if isinstance(value, date):
            return value
        try:
            ok = isinstance(value, str) and len(value) == 10 and value.isascii() and value[4] == value[7] == "-"
            parsed = date.fromisoformat(value) if ok else None
        except ValueError:
            parsed = None
        if parsed is None or not 2000 <= parsed.year <= 2999:
            raise InvalidInput(f"{label} must be a date such as 2025-03-31 (YYYY-MM-DD)")
        return parsed

    end = parse(until, "the end date") or today
    start = parse(since, "the start date") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput("the start date is after the end date")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"the range is longer than {MAX_DAYS} days")
    return start, end


def insights(database, since: date, until: date, *, log: QueryLog | None = None, votes: Votes | None = None) -> dict:
    """The report for the days from `since` to `until` (both included)."""
    log = log or QueryLog(database)
    votes = votes or Votes(database)
    figures = question_figures(log, since, until)
    voted = votes.per_article(datetime.combine(since, time()), datetime.combine(until + timedelta(days=1), time()))
    tickets = tickets_per_day(database, since, until)

    articles = []
    for article_id in sorted(set(figures["articles"]) | set(voted)):
        logged = figures["articles"].get(article_id, {"opened": 0, "helpful": 0, "not_helpful": 0,
                                                      "tickets": set(), "questions": []})
        cast = voted.get(article_id, {"helpful": 0, "not_helpful": 0, "unhelpful_questions": []})
        # The votes table has every vote (also those that came by a link); the log, those after a search.
        helpful, not_helpful = max(cast["helpful"], logged["helpful"]), max(cast["not_helpful"], logged["not_helpful"])
        questions = [text for text, _ in logged["questions"]]
        for text, _ in cast["unhelpful_questions"]:
            if len(questions) >= LEADING + 2:
                break
            if text not in questions:
                questions.append(text)
        articles.append({"article_id": article_id, "opened": logged["opened"], "helpful": helpful,
                         "not_helpful": not_helpful, "helpful_share": share(helpful, helpful + not_helpful),
                         "tickets": len(logged["tickets"]), "questions": questions})
    articles.sort(key=lambda a: (-(a["opened"] + a["helpful"] + a["not_helpful"]), a["article_id"]))
    for a in articles:
        bad = a["not_helpful"] + a["tickets"]
        # How often reading it ended badly, pulled towards zero when there are few readers.
        a["trouble"] = round(bad / (bad + a["helpful"] + 2), 4)
    weakest = sorted((a for a in articles if a["not_helpful"] + a["tickets"]),
                     key=lambda a: (-a["trouble"], -(a["not_helpful"] + a["tickets"]), a["article_id"]))
    return {**figures, "articles": articles, "weakest": weakest[:WEAKEST], "tickets": tickets}


def table_rows(report: dict, name: str) -> list[dict]:
    """The rows of one CSV table (see TABLES); InvalidInput for a name not there."""
    if name not in TABLES:
        raise InvalidInput(f"no table {name!r}: one of {', '.join(TABLES)}")
    if name == "days":
        return report["days"]
    if name == "top":
        return [{**q, "question": q["text"]} for q in report["top_questions"]]
    if name == "unanswered":
        return [{**q, "question": q["text"]} for q in report["top_unanswered"]]
    if name == "tickets":
        return report["tickets"]["days"]
    return report[name]


def table_csv(report: dict, name: str, words: dict[str, str] | None = None) -> str:
    """One CSV table; `words` are the reader's words for its columns (without them, the keys)."""
    rows = table_rows(report, name)
    columns = TABLES[name]
    return csv_text([(words or {}).get(c, c) for c in columns], [[_cell(row.get(c)) for c in columns] for row in rows])


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value
