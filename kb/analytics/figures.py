"""The figures for leads from the query log, over a range of days: questions per day and source, the
share answered (`kb.analytics.log.answered`: not voted "not helpful", no ticket after), the no-match rate, the click-through, the top questions, the top unanswered ones and,
per article opened from the results, how often, the votes and the tickets that followed, with the
questions that led there.

Days are UTC calendar days; `since` and `until` are dates, `until` included. The per-day counts come
from `QueryLog.daily` (so days past retention still count); the lists from the rows still kept.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from kb.analytics.log import QueryLog, answered
from kb.analytics.tables import SOURCES

TOP = 10
LEADING = 3  # questions shown per article
_TRAIL = re.compile(r"[\s?!.,;:…]+$")


def same_question(text: str) -> str:
    """The key two wordings of one question share: lower case, single spaces, no trailing punctuation."""
    return _TRAIL.sub("", " ".join((text or "").lower().split()))


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def days_of(since: date, until: date) -> list[date]:
    return [since + timedelta(days=n) for n in range((until - since).days + 1)]


def question_figures(log: QueryLog, since: date, until: date, top: int = TOP) -> dict:
    """Everything the leads' questions page shows about the questions asked from `since` to `until`."""
    end = until + timedelta(days=1)
    per_day = {day: {"day": day, **dict.fromkeys(SOURCES, 0), "asked": 0, "answered": 0, "no_match": 0,
                     "opened": 0, "helpful": 0, "not_helpful": 0} for day in days_of(since, until)}
    languages: Counter = Counter()
    for row in log.daily(since, end):
        slot = per_day.get(row["day"])
        if slot is None:
            continue
        slot[row["source"]] = slot.get(row["source"], 0) + row["asked"]
        for key in ("asked", "answered", "no_match", "opened", "helpful", "not_helpful"):
            slot[key] += row[key]
        languages[row["lang"] or "?"] += row["asked"]
    days = list(per_day.values())
    totals = {key: sum(d[key] for d in days) for key in ("asked", "answered", "no_match", "opened",
                                                          "helpful", "not_helpful")}
    totals.update(answered_share=share(totals["answered"], totals["asked"]),
                  no_match_rate=share(totals["no_match"], totals["asked"]),
                  click_through=share(totals["opened"], totals["asked"]),
                  helpful_share=share(totals["helpful"], totals["helpful"] + totals["not_helpful"]))
    sources = {source: sum(d[source] for d in days) for source in SOURCES}

    asked: dict[str, dict] = {}
    articles: dict[str, dict] = defaultdict(lambda: {"opened": 0, "helpful": 0, "not_helpful": 0,
                                                    "tickets": set(), "questions": Counter()})
    for row in log.between(datetime.combine(since, time()), datetime.combine(end, time())):
        key = same_question(row["text"])
        if not key:
            continue
        entry = asked.setdefault(key, {"text": row["text"], "asked": 0, "answered": 0, "no_match": 0, "opened": 0,
                                       "tickets": 0, "last_asked": row["asked_at"]})
        entry["asked"] += 1
        entry["answered"] += int(answered(row))
        entry["no_match"] += int(bool(row["no_match"]))
        entry["opened"] += int(row["opened"] is not None)
        entry["tickets"] += int(row["ticket"] is not None)
        entry["text"], entry["last_asked"] = row["text"], row["asked_at"]  # the newest wording
        if row["opened"]:
            article = articles[row["opened"]]
            article["opened"] += 1
            article["helpful"] += int(row["vote"] is True)
            article["not_helpful"] += int(row["vote"] is False)
            if row["ticket"] is not None:
                article["tickets"].add(row["ticket"])
            article["questions"][row["text"]] += 1
    ranked = sorted(asked.values(), key=lambda e: (-e["asked"], -e["last_asked"].timestamp(), e["text"]))
    top_questions = ranked[:top]
    unanswered = [{"text": e["text"], "asked": e["no_match"], "tickets": e["tickets"], "last_asked": e["last_asked"]}
                  for e in sorted((e for e in asked.values() if e["no_match"]),
                                  key=lambda e: (-e["no_match"], -e["last_asked"].timestamp(), e["text"]))[:top]]
    return {"since": since, "until": until, "days": days, "totals": totals, "sources": sources,
            "languages": dict(languages.most_common()), "top_questions": top_questions,
            "top_unanswered": unanswered, "distinct_questions": len(asked),
            "articles": {article_id: {"opened": a["opened"], "helpful": a["helpful"],
                                      "not_helpful": a["not_helpful"], "tickets": a["tickets"],
                                      "questions": a["questions"].most_common(LEADING)}
                         for article_id, a in articles.items()}}
