"""Character n-gram evidence: naive Bayes over the TF-IDF of the articles' own phrasings.

Russian words change their endings; the multilingual encoders hear the meaning but blur the
exact words, which a question often shares with a phrasing. Character n-grams within words catch
that. As a share of the ranking score for questions in a language without an encoder of its own
(not English, where MiniLM already sees the words), it adds 0.02 top1 on banking-ru
(docs/quality.md). Naive Bayes keeps only the n-grams each article has, so the model stays small
(sparse): learnt in 2 s at 1,000 articles, whenever a phrasing changed.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from kb.search.build_files import BuildFiles
from kb.search.encoders import encoder
from kb.search.signals.base import Corpus, Previous, Question, Signal
from kb.search.signals.classifier import MAX_ARTICLES
from kb.text import words

SIZES = range(2, 6)  # n-gram lengths, within a word padded by a space on each side
ALPHA = 0.1  # additive smoothing


def grams(text: str) -> Counter:
    found = Counter()
    for word in words(text):
        padded = f" {word} "
        for n in SIZES:
            if len(padded) < n:
                break
            found.update(padded[i:i + n] for i in range(len(padded) - n + 1))
    return found


class NgramModel:
    """Per article, how its phrasings use each n-gram; scores a question against every article."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray, log_counts, log_totals: np.ndarray):
        self.vocabulary = vocabulary
        self.column = {gram: i for i, gram in enumerate(vocabulary)}
        self.idf, self.log_counts, self.log_totals = idf, log_counts, log_totals

    @classmethod
    def fit(cls, texts: list[str], labels: np.ndarray, n_articles: int) -> "NgramModel":
        from scipy import sparse

        counted = [grams(t) for t in texts]
        vocabulary = sorted(set().union(*counted)) if counted else []
        column = {gram: i for i, gram in enumerate(vocabulary)}
        df = np.zeros(len(vocabulary))
        for found in counted:
            df[[column[g] for g in found]] += 1
        idf = np.log((1 + len(texts)) / (1 + df)) + 1  # smoothed, as scikit-learn's TfidfVectorizer
        model = cls(vocabulary, idf, None, np.zeros(n_articles))
        rows, cols, values = [], [], []
        for found, label in zip(counted, labels):
            indices, weights = model._weights(found)
            rows.extend(indices)
            cols.extend([label] * len(indices))
            values.extend(weights)
        counts = sparse.csr_matrix((values, (rows, cols)), shape=(len(vocabulary), n_articles))
        totals = np.asarray(counts.sum(axis=0)).ravel()
        model.log_totals = np.log(totals + ALPHA * len(vocabulary))
        counts.data = np.log1p(counts.data / ALPHA)
        model.log_counts = counts
        return model

    def _weights(self, found: Counter) -> tuple[list[int], np.ndarray]:
        """Known n-grams of a text and their L2-normalised TF-IDF weights (sublinear tf)."""
        known = [(self.column[g], c) for g, c in found.items() if g in self.column]
        if not known:
            return [], np.zeros(0)
        indices = [i for i, _ in known]
        weights = (1 + np.log([c for _, c in known])) * self.idf[indices]
        return indices, weights / np.linalg.norm(weights)

    def log_likelihood(self, text: str) -> np.ndarray:
        """Multinomial naive Bayes log-likelihood of the text for each article, up to a constant."""
        indices, weights = self._weights(grams(text))
        if not indices:
            return np.zeros(len(self.log_totals))
        return self.log_counts[indices].T @ weights - weights.sum() * self.log_totals

    def save(self, folder: Path):
        from scipy import sparse

        files = BuildFiles(folder)
        files.ngrams("vocabulary.txt").write_text("\n".join(self.vocabulary), encoding="utf-8")
        np.save(files.ngrams("idf.npy"), self.idf)
        np.save(files.ngrams("totals.npy"), self.log_totals)
        sparse.save_npz(files.ngrams("counts.npz"), self.log_counts)

    @classmethod
    def load(cls, folder: Path) -> "NgramModel | None":
        from scipy import sparse

        files = BuildFiles(folder)
        if not files.ngrams("counts.npz").exists():
            return None
        vocabulary = files.ngrams("vocabulary.txt").read_text(encoding="utf-8").split("\n")
        return cls(vocabulary, np.load(files.ngrams("idf.npy")), sparse.load_npz(files.ngrams("counts.npz")).tocsr(),
                   np.load(files.ngrams("totals.npy")))


class CharacterNgrams(Signal):
    """The n-gram model as a signal: learnt with the classifier (up to its MAX_ARTICLES), again only
    when a phrasing changed; it speaks for a question that no encoder of its own language embeds."""

    name = "ngrams"

    def fit(self, corpus: Corpus, previous: Previous) -> "CharacterNgrams":
        self.model_ = None
        if len(corpus.articles) > MAX_ARTICLES:
            return self
        old = previous.manifest or {}
        if old.get("phrasing_hashes") == corpus.phrasing_hashes and old.get("article_order") == corpus.ids:
            try:
                self.model_ = NgramModel.load(previous.folder)
            except Exception:  # noqa: BLE001 (whatever a damaged file makes numpy or scipy raise): fitted again
                self.model_ = None
        if self.model_ is None:
            self.model_ = NgramModel.fit(corpus.phrasings, corpus.phrase_article, len(corpus.articles))
        return self

    def save(self, files):
        if self.model_ is not None:
            self.model_.save(files.folder)

    def load(self, files, build) -> "CharacterNgrams":
        # `kb index` writes the n-gram model with the classifier: one without the other is a lost file.
        counts = files.ngrams("counts.npz")
        self.model_ = files.read(counts, lambda _: NgramModel.load(files.folder),
                                 optional=not build.classifiers)
        if self.model_ is not None:
            files.check(counts, self.model_.log_counts.shape[1] == len(build.articles)
                        and len(self.model_.log_totals) == len(build.articles), "does not match the articles")
        return self

    def evidence(self, question: Question) -> dict:
        if self.model_ is None or any(encoder(n).languages is not None for n in question.vectors):
            return {}
        return {"ngrams": self.model_.log_likelihood(question.text)}
