"""The gap finder the worker runs: folds each recorded question in and lists the suggestions."""
from __future__ import annotations

from datetime import datetime

from kb.gaps.clustering import ClusterSettings, GapClusterer
from kb.gaps.inputs import AskedQuestion, is_candidate
from kb.gaps.suggestions import KnowledgeBase, Suggestion, SuggestionSettings, suggestions_of


class GapFinder:
    def __init__(self, articles, vectors, cluster_settings: ClusterSettings | None = None,
                 suggestion_settings: SuggestionSettings | None = None):
        self.vectors = vectors
        self.kb = KnowledgeBase.from_articles(articles, vectors)
        self.clusterer = GapClusterer(cluster_settings)
        if self.clusterer.settings.anchor is not None:
            for number, article in enumerate(self.kb.ids):
                rows = self.kb.phrase_article == number
                self.clusterer.anchor(article, self.kb.phrase_vectors[rows], [self.kb.langs[number]] * int(rows.sum()))
        self.suggestion_settings = suggestion_settings or SuggestionSettings()
        self.candidates = 0

    def fold(self, question: AskedQuestion) -> int | None:
        """One recorded question in; its cluster id, or None (not a failure, or still unclustered)."""
        if not is_candidate(question):
            return None
        self.candidates += 1
        return self.clusterer.fold(question, self.vectors.encode([question.text])[0], question.lang)

    def warm(self, questions: list[AskedQuestion]) -> None:
        """Encode many questions in one batch (a replay), so each fold finds its vector ready."""
        self.vectors.encode([q.text for q in questions if is_candidate(q)])

    def dismiss(self, cluster_id: int) -> None:
        self.clusterer.dismiss(cluster_id)

    def suggestions(self, now: datetime) -> list[Suggestion]:
        self.clusterer.consolidate()
        return suggestions_of(self.clusterer, self.kb, now, self.suggestion_settings)
