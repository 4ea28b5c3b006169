"""The one shape of a search signal, and what signals learn from and are asked about.

A signal is built the scikit-learn way: its parameters in the constructor, what it learns in
attributes ending in `_`. `kb index` fits each signal on the articles (`fit`) and saves it into the
build (`save`); a server loads it back (`load`) and asks it about every question (`evidence`).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from kb.articles.parsing import Article


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


_MARKDOWN = re.compile(r"[*_`#>\[\]]|\(https?://[^)]*\)")


def passages(body: str, limit: int = 400) -> list[str]:
    """Paragraphs of the answer as plain text, each short enough to embed well."""
    found = []
    for block in re.split(r"\n\s*\n", body):
        text = " ".join(_MARKDOWN.sub(" ", block).split())
        if len(text) >= 12:
            found.append(text[:limit])
    return found or [" ".join(_MARKDOWN.sub(" ", body).split())[:limit]]


@dataclass
class Corpus:
    """What the signals of one build learn from: the articles, their phrasings and answer passages
    in row order, and each encoder's phrasing vectors once it has made them (the classifier and the
    calibration learn from those)."""

    articles: list[Article]
    phrasings: list[str]
    phrase_article: np.ndarray  # the article number of each phrasing
    passages: list[str]
    passage_article: np.ndarray
    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, articles: list[Article]) -> "Corpus":
        phrasings = [(text, number) for number, a in enumerate(articles) for text in a.phrasings]
        found = [(text, number) for number, a in enumerate(articles) for text in passages(a.body)]
        return cls(articles, [t for t, _ in phrasings], np.array([n for _, n in phrasings]),
                   [t for t, _ in found], np.array([n for _, n in found]))

    @cached_property
    def ids(self) -> list[str]:
        return [a.id for a in self.articles]

    @cached_property
    def langs(self) -> np.ndarray:
        return np.array([a.lang for a in self.articles])

    @cached_property
    def phrasing_hashes(self) -> dict[str, str]:
        """Per article, a hash of its phrasings: what is learnt from them is reused while it holds."""
        return {a.id: text_hash("\x1f".join(a.phrasings)) for a in self.articles}


@dataclass
class Previous:
    """The build `current` pointed at when this one started (None for none), for what a signal can
    reuse from it; `same_models` is its manifest when the same models made it, so that what was learnt
    from vectors is reusable (not after `kb tune`)."""

    folder: Path | None
    manifest: dict | None
    same_models: dict | None


@dataclass
class Question:
    """A clean question, its language, and its vector from each encoder that embeds that language."""

    text: str
    lang: str
    vectors: dict[str, np.ndarray]


class Signal:
    """What every signal does; `name` names it in its files and in the evidence."""

    name: str = ""

    def fit(self, corpus: Corpus, previous: Previous) -> "Signal":
        """Learn from the articles (reusing what `previous` learnt where nothing changed); returns self."""
        raise NotImplementedError

    def save(self, files) -> None:
        """Write what was learnt into a build (`kb.search.build_files.BuildFiles`)."""
        raise NotImplementedError

    def load(self, files, build) -> "Signal":
        """Read it back from a build, checked against the build's articles and rows (`build`, a
        `kb.search.loading.LoadedBuild` loaded so far); a file that does not fit is an IndexBroken."""
        raise NotImplementedError

    def evidence(self, question: Question) -> dict:
        """What it finds for the question: fields of `kb.search.scoring.Evidence`, each one number per
        article (nothing when it has nothing to say about such a question)."""
        raise NotImplementedError

    def manifest(self) -> dict:
        """What the build's manifest records of it."""
        return {}
