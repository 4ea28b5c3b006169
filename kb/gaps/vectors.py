"""Question vectors for clustering: multilingual encoders (Russian and English in one space), with
an optional file cache keyed by text so repeated runs skip the model.

`JointVectors` joins e5 and USE: each unit row scaled by 1/sqrt(2) and set side by side, so the
dot product of two joint rows is the mean of the two encoders' cosines. Measured on both gap sets
(docs/gaps.md): with the mean, off-topic chatter stops forming clusters (noise 0.00-0.01 against
0.04-0.08 with e5 alone) and precision rises at the same recall.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np


class QuestionVectors:
    """`encode(texts)` -> unit rows; remembers every text it has seen (and keeps them in `cache_file`)."""

    def __init__(self, spec: str = "e5", cache_file: str | Path | None = None, embedder=None):
        self.spec = spec
        self.cache_file = Path(cache_file) if cache_file else None
        self._embedder = embedder
        self._known: dict[str, np.ndarray] = {}
        if self.cache_file and self.cache_file.exists():
            with np.load(self.cache_file, allow_pickle=False) as data:
                self._known = dict(zip(data["keys"].tolist(), data["vectors"]))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def embedder(self):
        if self._embedder is None:
            from kb.search.encoders import get_embedder

            self._embedder = get_embedder(self.spec)
        return self._embedder

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self._known}.items())
        if missing:
            rows = self.embedder().encode([t for _, t in missing])
            self._known.update({k: np.asarray(v, np.float32) for (k, _), v in zip(missing, rows)})
            self.save()
        if not texts:
            return np.zeros((0, 0), np.float32)
        return np.vstack([self._known[k] for k in keys])

    def save(self):
        if not self.cache_file:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self._known)
        tmp = self.cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.vstack([self._known[k] for k in keys]))
        tmp.replace(self.cache_file)


class JointVectors:
    """Several encoders as one: the dot product of two rows is the mean of their cosines."""

    def __init__(self, parts: list[QuestionVectors]):
        self.parts = parts

    @classmethod
    def of(cls, specs=("e5", "use"), cache_dir: str | Path | None = None) -> JointVectors:
        return cls([QuestionVectors(spec, cache_file=Path(cache_dir) / f"{spec}-vectors.npz" if cache_dir else None)
                    for spec in specs])

    def encode(self, texts: list[str]) -> np.ndarray:
        scale = 1.0 / np.sqrt(len(self.parts))
        return np.hstack([part.encode(texts) * scale for part in self.parts]).astype(np.float32)


class CentredVectors:
    """Joint vectors with each encoder's mean over the knowledge base's phrasings taken out.

    Every banking question shares a "banking" direction; taking the domain's mean out spreads the
    questions of one domain apart, so neighbouring topics separate better (measured, docs/gaps.md).
    Off-topic questions come closer to each other too, so the domain check uses the plain vectors.

    With `groups` (each text's article) and `shrink`, the directions in which one article's wordings
    differ from each other are damped too (`within_whitening`): learnt from the knowledge base's
    own paraphrases, it brings the wordings of a new topic closer together as well (measured on
    both gap sets: precision and fragmentation better at the same recall, docs/gaps.md).
    """

    def __init__(self, joint: JointVectors, domain_texts: list[str], groups=None, shrink: float | None = None):
        self.joint = joint
        rows = [part.encode(domain_texts) for part in joint.parts]
        self.means = [r.mean(axis=0) for r in rows]
        self.whiten = [None] * len(rows)
        if groups is not None and shrink is not None and len(domain_texts) > 1:
            self.whiten = [within_whitening(r, np.asarray(groups), shrink) for r in rows]

    def cross_language_shift(self) -> float:
        """How much lower a Russian question scores against an English wording of it than an
        English one does, in this centred space (taking the mean out widens every difference), from
        the search's own cross-language pairs (kb/search/data/crosslingual.tsv)."""
        data = Path(__file__).resolve().parent.parent / "search" / "data" / "crosslingual.tsv"
        lines = data.read_text(encoding="utf-8").splitlines()
        rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
        english, russian, other = (list(column) for column in zip(*rows))
        target = self.encode(other)
        same = float((self.encode(english) * target).sum(axis=1).mean())
        return max(0.0, same - float((self.encode(russian) * target).sum(axis=1).mean()))

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.centre(self.joint.encode(texts))

    def centre(self, joint_rows: np.ndarray) -> np.ndarray:
        """Rows of the joint (plain) space, as stored by kb.gaps.store, in this centred space."""
        scale = 1.0 / np.sqrt(len(self.joint.parts))
        blocks, start = [], 0
        for mean, whiten in zip(self.means, self.whiten):
            rows = np.asarray(joint_rows[:, start:start + len(mean)], np.float32) / scale - mean
            if whiten is not None:
                rows = rows @ whiten
            start += len(mean)
            blocks.append(rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12) * scale)
        return np.hstack(blocks).astype(np.float32)


def within_whitening(rows: np.ndarray, groups: np.ndarray, shrink: float) -> np.ndarray:
    """A linear map that damps the directions in which wordings of one article differ from each
    other (the within-article scatter of the knowledge base's phrasings, shrunk toward the
    identity by `shrink`): what varies between paraphrases says little about the topic."""
    names, group_of = np.unique(groups, return_inverse=True)
    means = np.vstack([rows[group_of == g].mean(axis=0) for g in range(len(names))])
    within = rows - means[group_of]
    scatter = within.T @ within / max(len(rows) - len(names), 1)
    scatter = scatter / max(np.trace(scatter) / len(scatter), 1e-12)
    values, vectors = np.linalg.eigh((1 - shrink) * scatter + shrink * np.eye(len(scatter)))
    return (vectors / np.sqrt(np.maximum(values, 1e-6))) @ vectors.T
