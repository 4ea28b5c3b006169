"""The gap finder the worker runs: folds each recorded question in and lists the suggestions."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np

from kb.gaps.clustering import ClusterSettings, GapClusterer
from kb.gaps.inputs import AskedQuestion, is_candidate
from kb.gaps.suggestions import KnowledgeBase, Suggestion, SuggestionSettings, suggestions_of
from kb.gaps.vectors import CentredVectors


class GapFinder:
    """`vectors`: a `JointVectors` (or anything with `encode(texts)` -> unit rows and, to be centred
    on the domain, `parts`). Questions are clustered in the centred space when the settings say so
    (the default); the knowledge base, the domain check and the nearest article use the plain one."""

    def __init__(self, articles, vectors, cluster_settings: ClusterSettings | None = None,
                 suggestion_settings: SuggestionSettings | None = None):
        self.vectors = vectors
        self.kb = KnowledgeBase.from_articles(articles, vectors)
        self.clusterer = GapClusterer(cluster_settings)
        centre = self.clusterer.settings.centre and hasattr(vectors, "parts") and self.kb.texts
        self.cluster_vectors = CentredVectors(vectors, self.kb.texts, self.kb.phrase_article,
                                              self.clusterer.settings.whiten) if centre else vectors
        if centre:
            self.clusterer.settings = replace(self.clusterer.settings,
                                              cross_language_shift=self.cluster_vectors.cross_language_shift())
        if self.clusterer.settings.anchor is not None:
            for number, article in enumerate(self.kb.ids):
                texts = [t for t, owner in zip(self.kb.texts, self.kb.phrase_article) if owner == number]
                self.clusterer.anchor(article, self.cluster_vectors.encode(texts), [self.kb.langs[number]] * len(texts))
        self.suggestion_settings = suggestion_settings or SuggestionSettings()
        self.candidates = 0

    def fold(self, question: AskedQuestion) -> int | None:
        """One recorded question in; its cluster id, or None (not a failure, or still unclustered)."""
        if not is_candidate(question):
            return None
        self.candidates += 1
        return self.clusterer.fold(question, self.cluster_vectors.encode([question.text])[0], question.lang)

    def warm(self, questions: list[AskedQuestion]) -> None:
        """Encode many questions in one batch (a replay), so each fold finds its vector ready."""
        self.vectors.encode([q.text for q in questions if is_candidate(q)])

    def restore(self, questions: list[AskedQuestion], plain_rows, assignment, clusters: dict[int, dict],
                next_id: int = 1) -> None:
        """A saved state back (kb.gaps.store): the questions with their plain joint vectors (as
        `vectors.encode` gave them when they were folded), each one's cluster id or None."""
        rows = np.asarray(plain_rows, np.float32)
        if len(rows) and self.cluster_vectors is not self.vectors:
            rows = self.cluster_vectors.centre(rows)
        self.clusterer.restore(questions, rows, [q.lang for q in questions], assignment, clusters, next_id)

    def dismiss(self, cluster_id: int) -> None:
        self.clusterer.dismiss(cluster_id)

    def suggestions(self, now: datetime) -> list[Suggestion]:
        self.clusterer.consolidate()
        return suggestions_of(self.clusterer, self.kb, now, self.suggestion_settings, self.vectors.encode)
