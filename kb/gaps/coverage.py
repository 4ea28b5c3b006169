"""Articles that need wordings: those the customers keep missing although the article exists.

An article's known wordings are its title and its `questions:`; its misses are the failed questions
the gap finder keeps (kb.gaps.tables) that either had it as their first result (the search found
it but not well enough: no match, low confidence, "not helpful", a ticket) or belong to an open
"add wordings" suggestion naming it. Few wordings and many misses first: that is where adding the
customers' own words helps most.

Only the questions still waiting count: those in the pool and in open suggestions (a drafted or
accepted suggestion's questions are done with, a dismissed one's were judged not worth it).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from kb.gaps.tables import GapCluster, GapQuestion


def needing_wordings(database, articles, since: datetime | None = None) -> list[dict]:
    """One row per article of `articles` (a search build's dicts: id, title, lang, questions) with
    misses: id, title, lang, wordings, misses, per_wording, suggestion (the id of the open "add"
    suggestion naming it, or None); most misses per wording first."""
    return database.run(_rows, articles, since, write=False)


def _rows(session, articles, since) -> list[dict]:
    opened = select(GapCluster.id).where(GapCluster.status == "open")
    adds = {cluster_id: article for cluster_id, article in session.execute(
        select(GapCluster.id, GapCluster.article).where(GapCluster.status == "open", GapCluster.suggested,
                                                        GapCluster.kind == "add"))}
    query = select(GapQuestion.cluster_id, GapQuestion.results).where(
        or_(GapQuestion.cluster_id.is_(None), GapQuestion.cluster_id.in_(opened)))
    if since is not None:
        query = query.where(GapQuestion.asked_at >= since)
    misses: dict[str, int] = {}
    for cluster_id, results in session.execute(query):
        first = results[0][0] if results else None
        named = adds.get(cluster_id)
        for article in {first, named} - {None}:  # a question counts once for each article it missed
            misses[article] = misses.get(article, 0) + 1
    suggestion: dict[str, int] = {}
    for cluster_id, article in sorted(adds.items()):  # the oldest, when two name the same article
        suggestion.setdefault(article, cluster_id)
    out = []
    for article in articles:
        count = misses.get(article["id"], 0)
        if not count:
            continue
        wordings = 1 + len(article.get("questions") or ())
        out.append({"id": article["id"], "title": article["title"], "lang": article.get("lang"),
                    "wordings": wordings, "misses": count, "per_wording": round(count / wordings, 2),
                    "suggestion": suggestion.get(article["id"])})
    out.sort(key=lambda row: (-row["misses"] / row["wordings"], -row["misses"], row["title"].casefold()))
    return out
