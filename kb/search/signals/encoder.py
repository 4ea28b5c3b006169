"""An encoder as a signal: the articles' phrasings and answer passages embedded into two faiss
indexes; for a question, each article's best similarity.

Embeddings are cached by model and text hash in `<index>/cache/`: unchanged text is never embedded
again. What the encoder itself can do (languages, weight, cross-language shift) is its class's, in
`kb.search.encoders`.
"""
from __future__ import annotations

import os
from functools import cached_property, partial
from pathlib import Path

import numpy as np

from kb.search.build_files import PARTS
from kb.search.encoders import get_embedder, model_id
from kb.search.signals.base import Corpus, Previous, Question, Signal, text_hash

CANDIDATES = 256  # rows fetched from faiss per encoder; articles beyond them cannot win
# An answer passage matches a question less directly than a known phrasing does.
PASSAGE_PENALTY = 0.1


class EmbeddingCache:
    """Vectors of one model keyed by text hash, kept in `<out>/cache/` between builds."""

    def __init__(self, folder: Path, model: str):
        self.path = folder / f"{text_hash(model)}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            try:
                with np.load(self.path) as data:
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
            except (OSError, ValueError, KeyError):
                self.vectors = {}  # a damaged cache only costs time

    def missing(self, texts: list[str]) -> int:
        return len({text_hash(t) for t in texts} - self.vectors.keys())

    def save(self, keep: set[str]):
        keys = sorted(k for k in self.vectors if k in keep)
        if not keys:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))
        os.replace(tmp, self.path)


def embed_all(load_embedder, texts: list[str], cache: EmbeddingCache, progress) -> tuple[np.ndarray, int]:
    """Vectors of `texts`; the model is loaded (`load_embedder()`) only if the cache misses a text."""
    hashes = [text_hash(t) for t in texts]
    missing = sorted({h: t for h, t in zip(hashes, texts) if h not in cache.vectors}.items())
    embedder = load_embedder() if missing else None
    batch = 256
    for start in range(0, len(missing), batch):
        chunk = missing[start:start + batch]
        vectors = embedder.encode([t for _, t in chunk])
        cache.vectors.update(zip([h for h, _ in chunk], vectors))
        progress(len(chunk))
    return np.stack([cache.vectors[h] for h in hashes]).astype(np.float32), len(missing)


class Encoder(Signal):
    """One encoder of the index. `source` is what it loads (`kb.search.encoders.get_embedder`: the
    model `kb tune` adapted, where there is one); `cache_dir` and `progress` serve its fitting."""

    def __init__(self, name: str, source: str | None = None, cache_dir: Path | None = None, progress=None):
        self.name, self.source = name, source or name
        self.cache_dir, self.progress = cache_dir, progress or (lambda n: None)

    @property
    def model(self) -> str:
        """Names the weights, for the cache and the manifest."""
        return model_id(self.source)

    @cached_property
    def cache(self) -> EmbeddingCache:
        return EmbeddingCache(self.cache_dir, self.model)

    def to_embed(self, corpus: Corpus) -> int:
        """How many of the corpus's texts are not in the cache."""
        return self.cache.missing(corpus.phrasings + corpus.passages)

    def fit(self, corpus: Corpus, previous: Previous) -> "Encoder":
        import faiss

        self._rows(len(corpus.articles), corpus.phrase_article, corpus.passage_article)
        texts = corpus.phrasings + corpus.passages
        vectors, self.embedded_ = embed_all(partial(get_embedder, self.source, self.name), texts, self.cache,
                                            self.progress)
        self.cache.save({text_hash(t) for t in texts})
        corpus.vectors[self.name] = vectors[:len(corpus.phrasings)]
        self.flat_ = {}
        for part, rows in zip(PARTS, (vectors[:len(corpus.phrasings)], vectors[len(corpus.phrasings):])):
            self.flat_[part] = faiss.IndexFlatIP(rows.shape[1])
            self.flat_[part].add(np.ascontiguousarray(rows))
        return self

    def save(self, files):
        import faiss

        for part, flat in self.flat_.items():
            faiss.write_index(flat, str(files.faiss(self.name, part)))

    def load(self, files, build) -> "Encoder":
        import faiss

        self._rows(len(build.articles), build.phrase_article, build.passage_article)
        self.flat_ = {}
        for part, owners in self.owners.items():
            path = files.faiss(self.name, part)
            self.flat_[part] = flat = files.read(path, lambda p: faiss.read_index(str(p)))
            files.check(path, flat.ntotal == len(owners), f"has {flat.ntotal} rows, not {len(owners)}")
        return self

    def _rows(self, n_articles: int, phrase_article: np.ndarray, passage_article: np.ndarray):
        """Which article each row of the two faiss indexes belongs to."""
        self.n_articles = n_articles
        self.owners = dict(zip(PARTS, (phrase_article, passage_article)))

    @property
    def dimension(self) -> int:
        return self.flat_["phrasings"].d

    def embed(self, text: str) -> np.ndarray:
        return get_embedder(self.source, self.name).encode([text])[0]

    def evidence(self, question: Question) -> dict:
        """Each article's best similarity, of a phrasing or (less) of an answer passage, and its
        closest phrasing; nothing for a question this encoder does not embed."""
        if self.name not in question.vectors:
            return {}
        vector = question.vectors[self.name]
        by_phrase, closest = self._per_article("phrasings", vector)
        by_passage, _ = self._per_article("passages", vector)
        return {"similarity": {self.name: np.maximum(by_phrase, by_passage - PASSAGE_PENALTY)},
                "closest": {self.name: closest}}

    def _per_article(self, part: str, vector: np.ndarray):
        """Best row similarity per article, and the best row of each article."""
        flat = self.flat_[part]
        k = min(CANDIDATES, flat.ntotal)
        scores, rows = flat.search(vector[None, :], k)
        scores, rows = scores[0], rows[0]
        owners = self.owners[part][rows]
        floor = float(scores[-1]) if flat.ntotal > k else -1.0
        best = np.full(self.n_articles, floor, np.float32)
        best_row = np.full(self.n_articles, -1)
        # faiss returns rows best first, so the first row seen per article is its best.
        first = np.unique(owners, return_index=True)[1]
        best[owners[first]] = scores[first]
        best_row[owners[first]] = rows[first]
        return best, best_row
