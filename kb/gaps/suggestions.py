"""From clusters of failed questions to suggestions an editor can act on.

Each open cluster becomes one suggestion: "missing" (no article answers; titled by its most
typical question, the one nearest the centroid) or "add" (the questions belong to an existing
article that missed them; names it). Both carry how often and by how many distinct people the
topic was asked, the trend, example wordings per language, and the nearest article.

A visitor is a cookie, which anyone can throw away: so people are counted by their visitor and by
their address (hashed with the secret) and the smaller count holds, one address adds at most
PER_ORIGIN questions, and a title is a wording asked from two addresses at least (`title_of`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from kb.gaps.clustering import GapClusterer
from kb.text import same_text

PER_ORIGIN = 3  # questions one address (or, without one, one visitor) adds to a topic's count at most


@dataclass
class KnowledgeBase:
    """The articles' known phrasings (title and questions) as unit vectors of the same encoder."""

    ids: list[str]
    phrase_vectors: np.ndarray  # one row per phrasing
    phrase_article: np.ndarray  # article number of each row
    langs: list[str | None] = field(default_factory=list)  # each article's language
    texts: list[str] = field(default_factory=list)  # the phrasings, row by row

    @classmethod
    def from_articles(cls, articles, vectors) -> KnowledgeBase:
        """`articles`: dicts (a search build's) or `kb.articles.parsing.Article`s; `vectors`: QuestionVectors."""
        ids, texts, owners, langs = [], [], [], []
        for number, article in enumerate(articles):
            get = article.get if isinstance(article, dict) else lambda key, default=None: getattr(article, key, default)
            ids.append(get("id"))
            langs.append(get("lang"))
            for text in [get("title"), *(get("questions") or [])]:
                texts.append(text)
                owners.append(number)
        return cls(ids=ids, phrase_vectors=vectors.encode(texts), phrase_article=np.array(owners), langs=langs,
                   texts=texts)

    def best_per_article(self, vector: np.ndarray) -> np.ndarray:
        sims = self.phrase_vectors @ vector
        best = np.full(len(self.ids), -1.0, np.float32)
        np.maximum.at(best, self.phrase_article, sims)
        return best

    def domain_floor(self, percentile: float) -> float:
        """How close a new topic of this knowledge base's domain comes to the existing ones: each
        phrasing's best similarity to another article's phrasings, at `percentile` (leave one
        article out, from the knowledge base alone)."""
        if len(self.ids) < 2:
            return -1.0
        sims = self.phrase_vectors @ self.phrase_vectors.T
        other = np.where(self.phrase_article[:, None] != self.phrase_article[None, :], sims, -1.0).max(axis=1)
        return float(np.percentile(other, percentile))

    def closeness(self, vectors: np.ndarray) -> float:
        """Mean over the rows of their best similarity to any phrasing."""
        return float((vectors @ self.phrase_vectors.T).max(axis=1).mean())

    def phrasings_of(self, number: int) -> np.ndarray:
        return self.phrase_vectors[self.phrase_article == number]


@dataclass
class SuggestionSettings:
    min_questions: int = 3
    min_visitors: int = 2
    # A cluster is on the knowledge base's domain when its questions come on average as close to the
    # articles as the closest 99 % of the articles come to each other (KnowledgeBase.domain_floor);
    # None: no domain check.
    domain_percentile: float | None = 1.0


@dataclass
class Suggestion:
    cluster: int
    title: str
    kind: str  # "missing" | "add"
    article: str | None
    count: int
    visitors: int
    trend: dict
    examples: dict  # lang -> up to 3 wordings
    nearest_article: str | None
    nearest_similarity: float
    score: float
    questions: list = field(default_factory=list)
    title_agreed: bool = True  # False: no wording was asked from two addresses; the title is a stand-in

    def to_dict(self) -> dict:
        return {"title": self.title, "kind": self.kind, "article": self.article, "count": self.count,
                "visitors": self.visitors, "trend": self.trend, "examples": self.examples,
                "nearest_article": self.nearest_article, "nearest_similarity": round(self.nearest_similarity, 4),
                "score": round(self.score, 3), "questions": [q.text for q in self.questions]}


def trend(times: list[datetime], now: datetime) -> dict:
    last_7 = sum(now - timedelta(days=7) < t <= now for t in times)
    previous_30 = sum(now - timedelta(days=37) < t <= now - timedelta(days=7) for t in times)
    return {"last_7": last_7, "previous_30": previous_30,
            "rising": last_7 / 7 > previous_30 / 30 if previous_30 else last_7 > 0}


def people(questions) -> int:
    """How many people asked: distinct visitors and distinct addresses, whichever is fewer (forty
    cookies from one address are one person)."""
    return min(len({q.visitor for q in questions}), len({q.origin for q in questions}))


def asked_count(questions) -> int:
    """How often it was asked, one address counting PER_ORIGIN questions at most."""
    return sum(min(n, PER_ORIGIN) for n in Counter(q.origin for q in questions).values())


def title_of(questions, order) -> tuple[str, bool]:
    """The topic's title and whether it is agreed: the most typical wording (`order`, most typical
    first) asked from two addresses at least. Failing that, a stand-in: the most typical question of
    an address that did not flood the topic (more than PER_ORIGIN questions), which never replaces
    a title the topic already has."""
    origins: dict[str, set] = {}
    for q in questions:
        origins.setdefault(same_text(q.text), set()).add(q.origin)
    agreed = next((questions[k].text for k in order if len(origins[same_text(questions[k].text)]) >= 2), None)
    if agreed is not None:
        return agreed, True
    floods = {origin for origin, n in Counter(q.origin for q in questions).items() if n > PER_ORIGIN}
    return next((questions[k].text for k in order if questions[k].origin not in floods),
                questions[order[0]].text), False


def priority(questions, now: datetime) -> float:
    """How much answering a topic would help: distinct people, recent asks weighing more (a question
    two weeks old counts half)."""
    if not questions:
        return 0.0
    recency = sum(0.5 ** ((now - q.asked_at).total_seconds() / 86400 / 14) for q in questions)
    return people(questions) * recency / len(questions)


def decide_kind(questions, vectors: np.ndarray, kb: KnowledgeBase) -> tuple[str, str | None]:
    """"add" on real evidence that the questions belong to one existing article; else "missing".

    Evidence: most of the questions led to tickets solved with that article; or most had it first
    and the cluster's centroid is closer to one of its phrasings than the questions are to their own
    centroid. A shared first result alone is not evidence: the questions of a missing topic share a
    wrong first result as often (measured, docs/gaps.md).
    """
    solved = Counter(q.solved_with for q in questions if q.solved_with)
    if solved:
        article, votes = solved.most_common(1)[0]
        if votes / len(questions) >= 0.5 and article in kb.ids:
            return "add", article
    firsts = Counter(q.first for q in questions if q.first)
    if not firsts:
        return "missing", None
    article, votes = firsts.most_common(1)[0]
    number = kb.ids.index(article) if article in kb.ids else None
    if number is None or votes / len(questions) < 0.6:
        return "missing", None
    centroid = vectors.sum(axis=0) / max(np.linalg.norm(vectors.sum(axis=0)), 1e-12)
    to_article = float(np.max(kb.phrasings_of(number) @ centroid))
    tightness = float(np.mean(vectors @ centroid))
    if to_article >= tightness:
        return "add", article
    return "missing", None


def suggestions_of(clusterer: GapClusterer, kb: KnowledgeBase, now: datetime,
                   settings: SuggestionSettings | None = None, plain_vectors=None) -> list[Suggestion]:
    """The open clusters as suggestions, best first. `plain_vectors(texts)`: the questions in the
    knowledge base's space (`kb.phrase_vectors`), for the domain check and the nearest article;
    default: the clusterer's own vectors."""
    settings = settings or SuggestionSettings()
    floor = kb.domain_floor(settings.domain_percentile) if settings.domain_percentile is not None else None
    out = []
    for cluster in clusterer.open_clusters():
        members = clusterer.questions_of(cluster)
        questions = [clusterer.items[i] for i in members]
        if asked_count(questions) < settings.min_questions or people(questions) < settings.min_visitors:
            continue
        vectors = np.vstack([clusterer.vectors[i] for i in members])
        plain = plain_vectors([q.text for q in questions]) if plain_vectors else vectors
        if floor is not None and kb.closeness(plain) < floor:
            continue
        if cluster.article is not None:
            kind, article = "add", cluster.article
        else:
            kind, article = decide_kind(questions, plain, kb)
        centre = plain.sum(axis=0)
        near = kb.best_per_article(centre / max(np.linalg.norm(centre), 1e-12))
        nearest = int(np.argmax(near)) if len(near) else None
        examples: dict[str, list[str]] = {}
        order = np.argsort(-(vectors @ cluster.centroid))
        title, agreed = title_of(questions, order)
        for k in order:
            q = questions[k]
            if len(examples.setdefault(q.lang, [])) < 3 and q.text not in examples[q.lang]:
                examples[q.lang].append(q.text)
        out.append(Suggestion(
            cluster=cluster.id, title=title, kind=kind, article=article, count=asked_count(questions),
            visitors=people(questions), trend=trend([q.asked_at for q in questions], now), title_agreed=agreed,
            examples=examples, nearest_article=kb.ids[nearest] if nearest is not None else None,
            nearest_similarity=float(near[nearest]) if nearest is not None else 0.0,
            score=priority(questions, now), questions=questions))
    out.sort(key=lambda s: -s.score)
    return out
