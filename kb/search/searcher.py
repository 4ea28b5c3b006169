"""Answering a question from a built index: the one search function behind the CLI and the API."""
from __future__ import annotations

import html
import logging
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.errors import IndexBroken, QueryError
from kb.search import scoring
from kb.search.encoders import question_encoders, question_set
from kb.search.loading import LoadedBuild, current_build
from kb.search.scoring import Evidence, Scores
from kb.search.signals.base import Question
from kb.search.topics import one_per_topic
from kb.text import STOP_WORDS, guess_language, stem, unprintable, words

MAX_QUERY_CHARS = 500

log = logging.getLogger(__name__)


@dataclass
class Result:
    id: str
    title: str
    lang: str
    score: float
    confidence: float
    matched: str  # the known phrasing (or answer passage) closest to the question
    snippet: str  # HTML-escaped text with the question's words in <mark>
    tags: list[str] = field(default_factory=list)


@dataclass
class SearchResponse:
    query: str
    lang: str
    no_match: bool
    confidence: float
    results: list[Result]
    took_ms: float = 0.0

    def to_dict(self):
        return asdict(self)


def clean_query(query) -> str:
    if not isinstance(query, str):
        raise QueryError("the question must be text")
    # As typed, before runs of spaces are folded: str.split takes U+0085 for a space.
    if (found := unprintable(query)) is not None:
        raise QueryError(f"the question contains a control character ({found}): send only text a person can type")
    query = " ".join(query.split())
    if not query:
        raise QueryError("the question is empty: type a few words")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the question is too long: {len(query)} characters, at most {MAX_QUERY_CHARS}")
    return query


class Searcher:
    """A loaded index build and the search over it. Load once per process; `search` is safe to call
    from many threads."""

    def __init__(self, index_dir, build: Path | None = None):
        self.build = LoadedBuild(index_dir, build)

    # what callers read of the build
    path = property(lambda self: self.build.path)
    manifest = property(lambda self: self.build.manifest)
    articles = property(lambda self: self.build.articles)
    by_id = property(lambda self: self.build.by_id)
    calibration = property(lambda self: self.build.calibration)

    # -- the search ---------------------------------------------------------------------
    def search(self, query, lang: str | None = None, limit: int = 5, prefer_lang: str | None = None) -> SearchResponse:
        """The best `limit` articles for `query` (only those in `lang` if given). With `prefer_lang`
        each topic comes once, as its copy in that language when it has one (the help centre)."""
        # One question is too small for BLAS threads: their spinning workers steal the cores from
        # e5 (at 1,000 articles p95 went from 29 to 112 ms, docs/benchmarks.md).
        with _blas_controller().limit(limits=1, user_api="blas"):
            return self._search(query, lang, limit, prefer_lang)

    def topic_copies(self, prefer_lang: str | None) -> list[dict]:
        """Every topic once, as its copy in `prefer_lang` when it has one, in title order."""
        build = self.build
        numbers = one_per_topic(range(len(build.articles)), build.topic, build.article_langs, prefer_lang)
        return sorted((build.articles[i] for i in numbers), key=lambda a: a["title"].casefold())

    def _search(self, query, lang, limit, prefer_lang=None) -> SearchResponse:
        started = time.perf_counter()
        query = clean_query(query)
        if lang not in (None, "", "ru", "en"):
            raise QueryError(f"unknown language {lang!r}: use ru or en")
        if not isinstance(limit, int) or not 1 <= limit <= 50:
            raise QueryError("limit must be a whole number from 1 to 50")
        evidence, scores = self.score(query)
        build = self.build
        allowed = np.ones(len(build.articles), bool) if not lang else build.article_langs == lang
        order = [i for i in np.argsort(-scores.rank, kind="stable") if allowed[i]]
        if prefer_lang:
            order = one_per_topic(order, build.topic, build.article_langs, prefer_lang)
        order = order[:limit]
        results = [self._result(i, scores.rank[i], float(scores.confidence[i]), query, evidence.closest)
                   for i in order]
        # The answer is the first result: "no match" and the confidence shown are that article's own.
        top_confidence = results[0].confidence if results else 0.0
        return SearchResponse(query=query, lang=evidence.lang, no_match=top_confidence < 0.5,
                              confidence=top_confidence, results=results,
                              took_ms=round((time.perf_counter() - started) * 1000, 2))

    def evidence(self, query: str) -> Evidence:
        """What every signal of the build finds for a clean question, in one record."""
        build = self.build
        lang = guess_language(query)
        question = Question(query, lang, {name: build.signal(name).embed(query)
                                          for name in question_encoders(build.encoders, lang)})
        evidence = Evidence(lang, build.article_langs)
        for signal in build.signals:
            evidence.add(signal.evidence(question))
        return evidence

    def score(self, query: str) -> tuple[Evidence, Scores]:
        """For a clean question: what the signals found (its language, each article's closest phrasing
        row per encoder) and the `scoring.Scores` of every article, calibrated confidence included."""
        evidence = self.evidence(query)
        calibration = self.build.calibration[question_set(evidence.lang, self.build.sets)]
        return evidence, scoring.score(evidence, calibration, self.build.topic)

    def _result(self, i, score, confidence, query, closest) -> Result:
        article = self.articles[i]
        # The phrasing the strongest multilingual encoder found closest stands for the match.
        name = "e5" if "e5" in closest else next(iter(closest))
        row = closest[name][i]
        matched = self.build.phrasings[row] if row >= 0 else article["title"]
        return Result(id=article["id"], title=article["title"], lang=article["lang"],
                      score=round(float(score), 4), confidence=round(confidence, 6),
                      matched=matched, snippet=snippet(article["body"], query), tags=article["tags"])


@lru_cache(maxsize=None)
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


# After Markdown's marks are taken out, no space before closing punctuation nor after an opening
# bracket or quote: "**Заказы**;" reads "Заказы;", not "Заказы ;".
_SPACE_BEFORE = re.compile(r"\s+(?=[.,;:!?…)\]»”])")
_SPACE_AFTER = re.compile(r"(?<=[(\[«“])\s+")


def _marked(word: str, query_stems: set[str]) -> bool:
    """A word of the answer that the question asked about: not a stop word ("the", "где", "can"), which
    every answer has and so says nothing about why this one was found."""
    folded = word.lower().replace("ё", "е")
    return len(word) > 2 and folded not in STOP_WORDS and stem(folded) in query_stems


def snippet(body: str, query: str, length: int = 220) -> str:
    """The sentence of the answer that shares most words with the question, words marked."""
    # Markdown's marks go: list bullets and numbers at the start of a line, emphasis, links' targets.
    body = re.sub(r"(?m)^\s*(?:[-*+]|\d+[.)])\s+", "", body)
    plain = " ".join(re.sub(r"[*_`#>|]|\]\([^)]*\)|\[", " ", body).split())
    plain = _SPACE_AFTER.sub("", _SPACE_BEFORE.sub("", plain))
    sentences = re.split(r"(?<=[.!?])\s+", plain) or [plain]
    query_stems = {stem(w) for w in words(query) if len(w) > 2 and w not in STOP_WORDS}

    def overlap(sentence):
        return sum(stem(w) in query_stems for w in words(sentence) if w not in STOP_WORDS)

    best = max(range(len(sentences)), key=lambda k: (overlap(sentences[k]), -k))
    text = " ".join(sentences[best:])
    if len(text) > length:
        text = text[:length].rsplit(" ", 1)[0] + " …"
    return "".join(f"<mark>{html.escape(token)}</mark>" if token and _marked(token, query_stems)
                   else html.escape(token) for token in re.split(r"(\w+)", text))


# A build that did not load is tried again when `current` moves, or after this long (its files may
# have been put right in place); never on every request.
RETRY_BROKEN_SECONDS = 60.0


class _Serving:
    """One index folder in this process: the searcher in use, whether a thread is loading a new
    build, and the build that last failed to load (with its error and when to try it again)."""

    def __init__(self):
        self.searcher: Searcher | None = None
        self.loading = False
        self.failed: tuple[Path, IndexBroken, float] | None = None
        self.loaded = threading.Condition(_searchers_lock)


_searchers_lock = threading.Lock()
_serving: dict[str, _Serving] = {}


def get_searcher(index_dir, reload: bool = False) -> Searcher:
    """The loaded index for a folder, shared within the process; a new build is loaded when `current`
    moves. One thread loads it, outside the lock, while the others keep searching the build they had.

    A build that does not load never serves: the last good build keeps serving (with none, the
    IndexBroken is raised: a 503), the failure is logged once, and that build is tried again only
    when `current` moves or RETRY_BROKEN_SECONDS later."""
    key = str(Path(index_dir).resolve())
    while True:
        target = current_build(index_dir)
        with _searchers_lock:
            state = _serving.setdefault(key, _Serving())
            searcher = state.searcher
            if searcher is not None and not reload and (target is None or target == searcher.path):
                return searcher
            failed = state.failed
            if failed and failed[0] == target and not reload and time.monotonic() < failed[2]:
                if searcher is not None:
                    return searcher
                raise IndexBroken(failed[1].message)
            if state.loading:
                if searcher is not None:
                    return searcher
                state.loaded.wait()  # nothing to serve meanwhile: wait for the one loader
                continue
            state.loading = True
        try:
            loaded = Searcher(index_dir, build=target)
        except IndexBroken as exc:
            keeps = (f"build {searcher.path.name} keeps serving" if searcher is not None
                     else "search answers 503 until a build loads")
            log.error("%s; %s (tried again when `current` moves, or in %.0f s)", exc.message, keeps,
                      RETRY_BROKEN_SECONDS)
            with _searchers_lock:
                state.failed = (target, exc, time.monotonic() + RETRY_BROKEN_SECONDS)
                state.loading = False
                state.loaded.notify_all()
            if searcher is not None:
                return searcher
            raise
        except BaseException:
            with _searchers_lock:
                state.loading = False
                state.loaded.notify_all()
            raise
        with _searchers_lock:
            state.searcher, state.failed, state.loading = loaded, None, False
            state.loaded.notify_all()
        return loaded


def skipped_build(index_dir) -> str | None:
    """Why `current` is not what serves, when a build it points at did not load (health says so)."""
    with _searchers_lock:
        state = _serving.get(str(Path(index_dir).resolve()))
        failed = state.failed if state is not None else None
    if failed is not None and failed[0] == current_build(index_dir):
        return failed[1].message
    return None

