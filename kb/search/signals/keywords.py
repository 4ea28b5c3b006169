"""Keyword evidence: BM25 over a sparse matrix of stemmed terms by articles, built by `kb index`.

An error code, a product or promo name, a Latin word in a Russian question: the encoders blur such
tokens, an article that contains them should still come first. Each article is one document of
its fields (title, known questions, public answer; never the operator notes), a term's frequency
weighted by the field it is in (BM25F, simplified). The matrix holds every (term, article) BM25
weight, so a question scores as one sparse row of its terms times the matrix: 0.1 ms at 1,000
articles, where whoosh took 13-22 ms. Rebuilt whole at each build (0.4 s at 1,000 articles).

What ranks is the BM25 of the question's names and exact tokens alone (`KeywordIndex.names`,
`.exact`, weighed in `kb.search.scoring.keyword_evidence`): over every term it only repeated the
encoders; its codes (`.codes`) give a floor to the confidence (`kb.search.scoring.code_confidence`).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

from kb.articles.parsing import Article
from kb.search.signals.base import Corpus, Previous, Question, Signal
from kb.text import name_terms, proper_name_terms, terms

K1 = 1.2  # how fast repeated occurrences of a term stop counting
B = 0.75  # how much a long article's terms count less
FIELD_WEIGHTS = (("title", 3.0), ("questions", 2.0), ("body", 1.0))
# Builds of this format on have keywords.npz (kb.search.build.FORMAT); older ones search without it.
KEYWORDS_FORMAT = 3
RARE_NAME_ARTICLES = 2  # a name in at most this many articles (a translation pair) is an exact token
MIN_NAME_CHARS = 4


def article_terms(article: Article) -> Counter:
    """The field-weighted term frequencies of one article."""
    fields = {"title": article.title, "questions": "\n".join(article.questions), "body": article.body}
    counted = Counter()
    for field, weight in FIELD_WEIGHTS:
        for term in terms(fields[field]):
            counted[term] += weight
    return counted


_CODE = re.compile(r"^(?=.*\d)(?=.*[^\W\d_])")  # a letter and a digit: E-4012, ПРИВЕТ500, SPRING25


class KeywordIndex:
    """`weights`: CSR, one row per term (`vocabulary` order), one column per article; `names`: per
    term, whether some article writes it as a code or a name (`kb.text.name_terms`); `codes`: per
    term, whether it mixes letters and digits."""

    def __init__(self, vocabulary: list[str], weights, names: np.ndarray, proper: np.ndarray | None = None):
        self.vocabulary = vocabulary
        self.row = {term: i for i, term in enumerate(vocabulary)}
        self.weights = weights
        self.names = names
        self.proper = names if proper is None else proper  # a build before `proper` was saved: its names
        self.codes = np.array([bool(_CODE.match(t)) for t in vocabulary], dtype=bool)
        # Exact tokens: codes, and proper names so rare that they point at one topic (a product, a
        # service, a Latin word that one or two articles write). A name many articles share is not
        # one, nor a bare number (an amount) or a short word.
        articles_with = np.diff(weights.indptr)
        wordlike = np.array([len(t) >= MIN_NAME_CHARS and not t.isdigit() for t in vocabulary], dtype=bool)
        self.exact = self.codes | (self.proper & wordlike & (articles_with <= RARE_NAME_ARTICLES))

    @classmethod
    def fit(cls, articles: list[Article]) -> "KeywordIndex":
        from scipy import sparse

        counted = [article_terms(a) for a in articles]
        vocabulary = sorted(set().union(*counted))
        row = {term: i for i, term in enumerate(vocabulary)}
        lengths = np.array([sum(c.values()) for c in counted], dtype=np.float64)
        average = lengths.mean() if len(lengths) and lengths.mean() > 0 else 1.0
        rows = np.array([row[t] for c in counted for t in c], dtype=np.int64)
        cols = np.repeat(np.arange(len(counted)), [len(c) for c in counted])
        tf = np.array([f for c in counted for f in c.values()], dtype=np.float64)
        df = np.bincount(rows, minlength=len(vocabulary))
        idf = np.log1p((len(counted) - df + 0.5) / (df + 0.5))  # Lucene's, never negative
        saturation = tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[cols] / average))
        weights = sparse.csr_matrix((idf[rows] * saturation, (rows, cols)), shape=(len(vocabulary), len(counted)))
        texts = [(text, a.lang) for a in articles for text in (a.title, *a.questions, a.body)]
        written_as_names = set().union(*[name_terms(text, lang) for text, lang in texts])
        proper_names = set().union(*[proper_name_terms(text, lang) for text, lang in texts])
        return cls(vocabulary, weights, np.array([t in written_as_names for t in vocabulary], dtype=bool),
                   np.array([t in proper_names for t in vocabulary], dtype=bool))

    def scores(self, query: str, only: str | None = None) -> np.ndarray:
        """BM25 of every article for the question (each of its terms counted once); `only="names"`:
        of the question's terms that the articles write as names or codes, `only="codes"`: codes,
        `only="exact"`: codes and rare names."""
        return self.scores_of(query, (only,))[0]

    def scores_of(self, query: str, kinds) -> list[np.ndarray]:
        """`scores(query, only)` for each `only` in `kinds`, the question's terms found once."""
        rows = {self.row[t] for t in terms(query) if t in self.row}
        masks = {None: None, "names": self.names, "codes": self.codes, "exact": self.exact}
        # The query's row of ones times the matrix, as the sum of its terms' rows: read straight from
        # the CSR arrays this takes 0.05 ms at 1,000 articles, scipy's own product 0.3 ms.
        start, column, weight = self.weights.indptr, self.weights.indices, self.weights.data
        out = []
        for kind in kinds:
            kept = masks[kind]
            scores = np.zeros(self.weights.shape[1])
            for row in rows:
                if kept is None or kept[row]:
                    scores[column[start[row]:start[row + 1]]] += weight[start[row]:start[row + 1]]
            out.append(scores)
        return out

    def save(self, path: Path):
        w = self.weights
        np.savez(path, terms=np.array(self.vocabulary, dtype=str), names=self.names, proper=self.proper,
                 data=w.data, indices=w.indices, indptr=w.indptr, shape=np.array(w.shape))

    @classmethod
    def load(cls, path: Path) -> "KeywordIndex | None":
        from scipy import sparse

        if not Path(path).exists():
            return None
        with np.load(path) as saved:
            weights = sparse.csr_matrix((saved["data"], saved["indices"], saved["indptr"]), shape=tuple(saved["shape"]))
            return cls(saved["terms"].tolist(), weights, saved["names"],
                       saved["proper"] if "proper" in saved.files else None)


class Keywords(Signal):
    """The keyword index as a signal: for a question, the BM25 of its names, exact tokens and codes."""

    name = "keywords"

    def fit(self, corpus: Corpus, previous: Previous) -> "Keywords":
        self.index_ = KeywordIndex.fit(corpus.articles)  # whole each time: 0.4 s at 1,000 articles
        return self

    def save(self, files):
        self.index_.save(files.keywords)

    def load(self, files, build) -> "Keywords":
        self.index_ = files.read(files.keywords, KeywordIndex.load,
                                 optional=not build.manifest.get("format", 0) >= KEYWORDS_FORMAT)
        if self.index_ is not None:
            files.check(files.keywords, self.index_.weights.shape[1] == len(build.articles), "does not match the articles")
        return self

    def evidence(self, question: Question) -> dict:
        if self.index_ is None:
            return {}
        return dict(zip(("names", "exact", "codes"), self.index_.scores_of(question.text, ("names", "exact", "codes"))))
