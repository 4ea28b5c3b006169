"""Loading one index build from disk into memory: everything a search reads, nothing it computes.

Every file is read and checked against the others here (each signal checks its own), so a
truncated, missing or foreign file is an `IndexBroken` naming the build and the file when the
build is loaded, never a faiss or numpy error in the middle of a search.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from kb.errors import IndexBroken, IndexMissing, KBError
from kb.search.build_files import BuildFiles, read_array, read_json
from kb.search.encoders import question_sets
from kb.search.signals import Signal, signals


def current_build(index_dir) -> Path | None:
    """The build folder `<index_dir>/current` points at, or None while there is none."""
    current = Path(index_dir) / "current"
    return current.resolve() if current.is_dir() else None


class LoadedBuild:
    """One build, pinned: `build` if given, else the one `<index_dir>/current` points at now; it stays
    this build even if `current` moves on."""

    def __init__(self, index_dir, build: Path | None = None):
        import faiss

        faiss.omp_set_num_threads(1)  # one question at a time: a third OpenMP pool only adds contention
        build = Path(build) if build is not None else current_build(index_dir)
        if build is None:
            # The message reaches visitors through the API: it names no folder of the server.
            raise IndexMissing("the search index is not built yet: run `kb index` first")
        self.path = build
        try:
            self._load(BuildFiles(build))
        except KBError:
            raise
        except Exception as exc:  # a file no check below foresaw: still a broken build, not a 500
            raise IndexBroken(f"index build {build.name} cannot be loaded: {type(exc).__name__}") from exc

    def _load(self, files: BuildFiles):
        self.manifest = files.read(files.manifest, read_json)
        self.articles = files.read(files.articles, read_json)
        texts = files.read(files.texts, read_json)
        files.check(files.manifest, isinstance(self.manifest, dict), "is not a manifest")
        files.check(files.articles, isinstance(self.articles, list) and all(
            isinstance(a, dict) and {"id", "lang", "title", "body"} <= a.keys() for a in self.articles),
            "is not a list of articles")
        files.check(files.texts, isinstance(texts, dict) and {"phrasings", "passages"} <= texts.keys(),
                    "has no phrasings and passages")
        self.by_id = {a["id"]: a for a in self.articles}
        self.number = {a["id"]: i for i, a in enumerate(self.articles)}
        self.phrasings, self.passage_texts = texts["phrasings"], texts["passages"]
        self.phrase_article = files.read(files.phrase_article, read_array)
        self.passage_article = files.read(files.passage_article, read_array)
        for path, owners, rows in ((files.phrase_article, self.phrase_article, self.phrasings),
                                   (files.passage_article, self.passage_article, self.passage_texts)):
            files.check(path, owners.ndim == 1 and len(owners) == len(rows) and np.issubdtype(owners.dtype, np.integer)
                        and (not len(owners) or 0 <= owners.min() <= owners.max() < len(self.articles)),
                        f"does not give an article to each of the {len(rows)} rows")
        self.article_langs = np.array([a["lang"] for a in self.articles])
        # Each article's topic: the original it translates (`translation_of`), or itself.
        self.topic = np.array([self.number.get(a.get("translation_of") or a["id"], i)
                               for i, a in enumerate(self.articles)])
        try:
            self.encoders = list(self.manifest["encoders"])
            self.classifiers = dict(self.manifest["classifiers"])  # the encoder sets that have one
            self.sets = question_sets(self.encoders)
            self.calibration = _calibration(self.manifest["calibration"], self.sets)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise files.broken(files.manifest, "is not a complete manifest") from exc
        self.signals: list[Signal] = []
        for signal in signals(self.encoders, self.manifest.get("sources", {})):
            self.signals.append(signal.load(files, self))

    def signal(self, name: str) -> Signal | None:
        """The loaded signal of that name (an encoder's is its name)."""
        return next((s for s in self.signals if s.name == name), None)


def _calibration(calib: dict, sets: dict) -> dict:
    """Per encoder set: (threshold, slope) for articles in the question's language and for the
    others; an older build has one pair for everything."""
    pairs = calib.get("sets") or {name: calib for name in sets}
    return {name: ((c["threshold"], c["slope"]), (c.get("across", c)["threshold"], c.get("across", c)["slope"]))
            for name, c in pairs.items()}
