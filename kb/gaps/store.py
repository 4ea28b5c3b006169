"""The gap finder as the worker runs it: its state in the database (kb.gaps.tables), new questions
folded in at each run, and the suggestions read back for the editors' page and `kb gaps`.

`refresh()` is the worker's step, in two parts so the database is never locked while a model runs:
read what changed since the last mark and encode the new failed questions (outside any write
transaction); then, in one transaction, restore the clusters as saved, fold the new questions in one
at a time, let the finder merge and judge its clusters, and save it all with the new marks. Nothing
is reclustered: each run costs the new questions, not the month.

Reading (`suggestions()`, `suggestion()`) needs no model: what the last run made of each cluster
is saved with it; counts, visitors, trend, examples and tickets are read from the members, so a
`since` date narrows them.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, select

from kb.desk.records import as_utc
from kb.errors import NotFound
from kb.gaps.inputs import AskedQuestion, is_candidate
from kb.gaps.sources import question_changes, ticket_changes, tickets_solved_since
from kb.gaps.suggestions import asked_count, people, priority, trend
from kb.gaps.tables import LIVE, GapCluster, GapMark, GapQuestion

# Questions that never joined a topic leave the pool after this long: one-off chatter must not grow
# the worker's state for ever (a topic asked again starts from its new questions).
POOL_DAYS = 60
EXAMPLES = 3  # wordings per language shown with a suggestion


@dataclass
class Refresh:
    folded: int  # new failed questions folded in
    updated: int  # questions already folded that got a vote, a ticket or its solution
    clusters: int  # live clusters after the run
    suggested: int  # of them, big enough and on the domain to suggest

    def line(self) -> str:
        return (f"{self.folded} new question(s) folded, {self.updated} updated; {self.suggested} suggestion(s) "
                f"from {self.clusters} topic(s)")


def _question_of(row: GapQuestion) -> AskedQuestion:
    return AskedQuestion(text=row.text, lang=row.lang, asked_at=row.asked_at, visitor=row.visitor, network=row.network,
                         no_match=row.no_match, confidence=row.confidence,
                         results=[(a, c) for a, c in row.results or []], vote=row.vote,
                         ticket=None if row.ticket is None else str(row.ticket), solved_with=row.solved_with)


def _number(ticket: str | None) -> int | None:
    return int(ticket) if ticket and ticket.isdigit() else None


class GapStore:
    """`database`: a kb.db.engine.Database; `finder_factory(articles)`: a GapFinder for the serving build's
    articles (built once per build and kept: it holds the articles' vectors); `articles()`: that
    build's articles."""

    def __init__(self, database, articles: Callable[[], list], finder_factory: Callable[[list], object]):
        self.db = database
        self._articles = articles
        self._factory = finder_factory
        self._finder_key = None
        self._finder = None
        self._lock = threading.Lock()  # one refresh at a time in a process (the job lock does it across)

    def _finder_for(self, articles):
        key = tuple((a["id"], a["title"], tuple(a.get("questions") or ())) if isinstance(a, dict)
                    else (a.id, a.title, tuple(a.questions)) for a in articles)
        if key != self._finder_key:
            self._finder, self._finder_key = self._factory(articles), key
        return self._finder

    # -- the worker's step ------------------------------------------------------------------
    def refresh(self, now: datetime | None = None) -> Refresh:
        now = as_utc(now)  # the database's times are naive UTC
        with self._lock:
            changes, solved, marks = self.db.run(self._read_changes, write=False)
            if not changes and not solved:  # nothing new: no model loaded, nothing written
                return self.db.run(self._unchanged, write=False)
            finder = self._finder_for(self._articles())
            texts = [c.question.text for c in changes if is_candidate(c.question)]
            finder.vectors.encode(texts)  # the model runs here, before the write transaction
            return self.db.run(self._fold, finder, changes, solved, marks, now)

    def _read_changes(self, session):
        marks = {m.source: m.seen_until for m in session.scalars(select(GapMark))}
        return (question_changes(session, marks.get("question")) + ticket_changes(session, marks.get("ticket")),
                tickets_solved_since(session, marks.get("ticket")), marks)

    @staticmethod
    def _unchanged(session) -> Refresh:
        live = session.scalars(select(GapCluster.suggested).where(GapCluster.status.in_(LIVE))).all()
        return Refresh(folded=0, updated=0, clusters=len(live), suggested=sum(live))

    def _fold(self, session, finder, changes, solved, marks, now) -> Refresh:
        clusters = {c.id: c for c in session.scalars(select(GapCluster).with_for_update())}
        live = {i for i, c in clusters.items() if c.status in LIVE}
        known = {(source, ref): (row_id, cluster) for row_id, source, ref, cluster in session.execute(
            select(GapQuestion.id, GapQuestion.source, GapQuestion.ref, GapQuestion.cluster_id))}
        rows = list(session.scalars(select(GapQuestion).where(
            (GapQuestion.cluster_id.is_(None)) | GapQuestion.cluster_id.in_(live)).order_by(GapQuestion.id)))
        by_key = {(r.source, r.ref): r for r in rows}

        updated = 0
        new, queued = [], set()
        for change in changes:
            key = (change.source, change.ref)
            if key in known:
                row = by_key.get(key)
                q = change.question
                if row is not None and (row.vote, row.ticket, row.solved_with) != (q.vote, _number(q.ticket),
                                                                                      q.solved_with):
                    row.vote, row.ticket, row.solved_with = q.vote, _number(q.ticket), q.solved_with
                    updated += 1
            elif is_candidate(change.question) and key not in queued:
                queued.add(key)
                new.append(change)
        articles = {number: article for number, article, _ in solved if article}
        for row in rows:
            if articles.get(row.ticket) not in (None, row.solved_with):
                row.solved_with = articles[row.ticket]
                updated += 1
        new.sort(key=lambda c: (c.question.asked_at, c.source, c.ref))

        vectors = np.vstack([np.frombuffer(r.vector, np.float32) for r in rows]) if rows else np.zeros((0, 0))
        finder.restore([_question_of(r) for r in rows], vectors, [r.cluster_id for r in rows],
                       {i: {"dismissed": clusters[i].status == "dismissed", "article": clusters[i].anchor}
                        for i in live}, next_id=max(clusters, default=0) + 1)
        plain = finder.vectors.encode([c.question.text for c in new]) if new else np.zeros((0, 0))
        for change in new:
            finder.fold(change.question)
        suggestions = {s.cluster: s for s in finder.suggestions(now)}

        clusterer = finder.clusterer
        for index, row in enumerate(rows):
            row.cluster_id = clusterer.assigned.get(index)
        for offset, change in enumerate(new):
            q = change.question
            session.add(GapQuestion(
                source=change.source, ref=change.ref, cluster_id=clusterer.assigned.get(len(rows) + offset),
                text=q.text, lang=q.lang, asked_at=q.asked_at, visitor=q.visitor, network=q.network, no_match=q.no_match,
                confidence=q.confidence, results=[list(r) for r in q.results], vote=q.vote, ticket=_number(q.ticket),
                solved_with=q.solved_with, vector=np.asarray(plain[offset], np.float32).tobytes(), folded_at=now))
        for cluster_id in live - set(clusterer.clusters):  # merged into another, or emptied
            session.delete(clusters[cluster_id])
        for cluster_id in clusterer.clusters:
            row = clusters.get(cluster_id)
            if row is None:
                row = GapCluster(id=cluster_id, status="open", created_at=now)
                session.add(row)
            row.updated_at = now
            if row.status != "open":  # a dismissed one keeps what it was when the editor closed it
                continue
            found = suggestions.get(cluster_id)
            row.suggested = found is not None
            if found is not None:
                row.kind, row.article = found.kind, found.article
                if found.title_agreed or not row.title:  # a title named by one source never replaces one
                    row.title = found.title
                row.nearest_article, row.nearest_similarity = found.nearest_article, found.nearest_similarity
        session.execute(delete(GapQuestion).where(GapQuestion.cluster_id.is_(None),
                                                  GapQuestion.asked_at < now - timedelta(days=POOL_DAYS)))
        self._mark(session, "question", [c.changed_at for c in changes if c.source == "question"], marks)
        self._mark(session, "ticket", [at for _, _, at in solved], marks)
        return Refresh(folded=len(new), updated=updated, clusters=len(clusterer.clusters), suggested=len(suggestions))

    @staticmethod
    def _mark(session, source, times, marks):
        if not times:
            return
        newest = max(times)
        mark = session.get(GapMark, source)
        if mark is None:
            session.add(GapMark(source=source, seen_until=newest))
        elif newest > mark.seen_until:
            mark.seen_until = newest

    def prune(self, days: int, now: datetime | None = None) -> int:
        """The retention of the query log holds for the finder's copies too: questions asked more
        than `days` days ago are deleted (a topic left with none is dropped at the next run, a
        dismissed one too). Returns how many went."""
        cutoff = as_utc(now) - timedelta(days=days)
        return self.db.run(lambda session: session.execute(
            delete(GapQuestion).where(GapQuestion.asked_at < cutoff)).rowcount or 0)

    # -- reading ----------------------------------------------------------------------------
    def suggestions(self, since: datetime | None = None, now: datetime | None = None,
                    status: str = "open") -> list[dict]:
        """The suggested topics, best first, each as `describe()` gives it; with `since`, counted
        over the questions asked since then (topics not asked since are left out)."""
        return self.db.run(self._list, since and as_utc(since), as_utc(now), status,
                           write=False)

    def suggestion(self, cluster_id: int, now: datetime | None = None) -> dict:
        found = self.db.run(self._list, None, as_utc(now), None, cluster_id, write=False)
        if not found:
            raise NotFound(f"no suggestion {cluster_id}")
        return found[0]

    def last_run(self) -> datetime | None:
        return self.db.run(lambda session: session.scalar(select(GapCluster.updated_at).order_by(
            GapCluster.updated_at.desc()).limit(1)), write=False)

    def _list(self, session, since, now, status, cluster_id=None) -> list[dict]:
        query = select(GapCluster)
        if cluster_id is not None:
            query = query.where(GapCluster.id == cluster_id)
        else:
            query = query.where(GapCluster.status == status)
            if status == "open":  # closed ones are listed whatever their size
                query = query.where(GapCluster.suggested)
        clusters = {c.id: c for c in session.scalars(query)}
        if not clusters:
            return []
        members = select(GapQuestion).where(GapQuestion.cluster_id.in_(clusters)).order_by(GapQuestion.asked_at)
        if since is not None:
            members = members.where(GapQuestion.asked_at >= since)
        grouped: dict[int, list[GapQuestion]] = {}
        for row in session.scalars(members):
            grouped.setdefault(row.cluster_id, []).append(row)
        out = [describe(clusters[i], grouped[i], now) for i in clusters if grouped.get(i)]
        out.sort(key=lambda s: -s["score"])
        return out


def describe(cluster: GapCluster, rows: list[GapQuestion], now: datetime) -> dict:
    """One suggestion as the page, `kb gaps --json` and `kb gaps eval --json` show it."""
    questions = [_question_of(r) for r in rows]
    vectors = np.vstack([np.frombuffer(r.vector, np.float32) for r in rows])
    centre = vectors.sum(axis=0)
    order = np.argsort(-(vectors @ (centre / max(float(np.linalg.norm(centre)), 1e-12))))  # most typical first
    examples: dict[str, list[str]] = {}
    for k in order:
        q = questions[k]
        lang = q.lang or "?"
        if len(examples.setdefault(lang, [])) < EXAMPLES and q.text not in examples[lang]:
            examples[lang].append(q.text)
    langs = Counter(q.lang for q in questions if q.lang)
    return {
        "id": cluster.id, "status": cluster.status, "title": cluster.title or questions[int(order[0])].text,
        "kind": cluster.kind or "missing", "article": cluster.article if cluster.kind == "add" else None,
        "count": asked_count(questions), "visitors": people(questions),
        "trend": trend([q.asked_at for q in questions], now), "examples": examples,
        "lang": langs.most_common(1)[0][0] if langs else None,
        "tickets": sorted({r.ticket for r in rows if r.ticket is not None}),
        "nearest_article": cluster.nearest_article,
        "nearest_similarity": round(cluster.nearest_similarity, 4) if cluster.nearest_similarity is not None else None,
        "score": round(priority(questions, now), 3), "first_asked": questions[0].asked_at,
        "last_asked": questions[-1].asked_at, "closed_at": cluster.closed_at, "closed_by": cluster.closed_by,
        "outcome": cluster.outcome,
        "questions": [q.text for q in (questions[k] for k in order)],
    }
