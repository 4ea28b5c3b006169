"""What an editor does with a suggestion: write a draft article from it, add its wordings to an
existing article, or dismiss it. The files are written by kb.articles.authoring (the editor reviews and
commits them in git); the suggestion is closed in the same step, so it does not come back.

A closed suggestion's questions leave the clustering (drafted, accepted) or keep being swallowed by
it (dismissed: the topic's new questions join it silently and never make a new suggestion).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from kb.analytics.log import utcnow
from kb.articles.authoring import add_questions, write_draft
from kb.articles.parsing import load_articles
from kb.errors import Conflict, InvalidInput, NotFound
from kb.gaps.tables import GapCluster, GapQuestion


def _open(session, cluster_id: int) -> GapCluster:
    cluster = session.get(GapCluster, cluster_id, with_for_update=True)
    if cluster is None:
        raise NotFound(f"no suggestion {cluster_id}")
    if cluster.status != "open":
        raise Conflict(f"suggestion {cluster_id} is already {cluster.status}"
                       + (f" by {cluster.closed_by}" if cluster.closed_by else ""))
    return cluster


def _close(cluster: GapCluster, status: str, by: str, outcome: str | None = None) -> None:
    cluster.status, cluster.closed_by, cluster.closed_at, cluster.outcome = status, by, utcnow(), outcome


def _wordings(session, cluster_id: int) -> list[str]:
    texts = session.scalars(select(GapQuestion.text).where(GapQuestion.cluster_id == cluster_id)
                            .order_by(GapQuestion.asked_at))
    seen, out = set(), []
    for text in texts:
        key = " ".join(text.casefold().split())
        if key not in seen:
            seen.add(key)
            out.append(text)
    return out


def _chosen(session, cluster_id: int, wordings) -> list[str]:
    """The wordings the editor kept: every one of the suggestion's by default; never a text that is
    not one of its questions (a form cannot write anything else into an article)."""
    known = _wordings(session, cluster_id)
    if wordings is None:
        return known
    allowed = set(known)
    chosen = [w for w in wordings if w in allowed]
    if len(chosen) != len(list(wordings)):
        raise InvalidInput("only the suggestion's own questions can be added")
    if not chosen:
        raise InvalidInput("choose at least one wording")
    return chosen


def dismiss(database, cluster_id: int, by: str) -> None:
    database.run(lambda session: _close(_open(session, cluster_id), "dismissed", by))


def draft(database, cluster_id: int, by: str, folder, *, title: str | None = None, lang: str | None = None,
          wordings=None) -> Path:
    """A draft article (`draft: true`) in `folder` with the suggestion's title and wordings; the
    suggestion is then "drafted". Returns the new file."""
    def work(session):
        cluster = _open(session, cluster_id)
        chosen = _chosen(session, cluster_id, wordings)
        langs = Counter(session.scalars(select(GapQuestion.lang).where(GapQuestion.cluster_id == cluster_id)))
        language = lang or next((code for code, _ in langs.most_common() if code), "en")
        # The file is written inside the transaction: if writing fails nothing is closed; if the commit
        # fails afterwards the draft stays and the editor sees it in `kb check`, nothing is lost.
        path = write_draft(folder, title or cluster.title or chosen[0], language, chosen)
        _close(cluster, "drafted", by, str(path))
        return path

    return database.run(work, attempts=1)


def add_wordings(database, cluster_id: int, by: str, folder, article_id: str, wordings=None) -> list[str]:
    """The suggestion's wordings (or those chosen) added to the article's `questions:`; the
    suggestion is then "accepted". Returns the wordings added (those the article had are skipped)."""
    articles, _ = load_articles(Path(folder))
    article = next((a for a in articles if a.id == article_id), None)
    if article is None:
        raise NotFound(f"no article {article_id!r} in the articles folder")

    def work(session):
        cluster = _open(session, cluster_id)
        added = add_questions(article.path, _chosen(session, cluster_id, wordings))
        _close(cluster, "accepted", by, article_id)
        return added

    return database.run(work, attempts=1)
