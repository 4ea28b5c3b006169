"""Loading one index build from disk into memory: everything a search reads, nothing it computes.

Every file is read and checked against the others here, so a truncated, missing or foreign file
is an `IndexBroken` naming the build and the file when the build is loaded, never a faiss or numpy
error in the middle of a search.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kb.errors import IndexBroken, IndexMissing, KBError
from kb.search import fusion
from kb.search.build import feature_sets
from kb.search.build_files import PARTS, BuildFiles
from kb.search.keywords import KeywordIndex
from kb.search.ngrams import NgramModel

KEYWORDS_FORMAT = 3  # builds of this format on have keywords.npz; older ones search without it


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
            self._load(build)
        except KBError:
            raise
        except Exception as exc:  # a file no check below foresaw: still a broken build, not a 500
            raise IndexBroken(f"index build {build.name} cannot be loaded: {type(exc).__name__}") from exc

    def _load(self, build: Path):
        import faiss

        files = BuildFiles(build)
        self.manifest = _read(build, files.manifest, _json)
        self.articles = _read(build, files.articles, _json)
        texts = _read(build, files.texts, _json)
        _check(build, files.manifest, isinstance(self.manifest, dict), "is not a manifest")
        _check(build, files.articles, isinstance(self.articles, list) and all(
            isinstance(a, dict) and {"id", "lang", "title", "body"} <= a.keys() for a in self.articles),
            "is not a list of articles")
        _check(build, files.texts, isinstance(texts, dict) and {"phrasings", "passages"} <= texts.keys(),
               "has no phrasings and passages")
        self.by_id = {a["id"]: a for a in self.articles}
        self.number = {a["id"]: i for i, a in enumerate(self.articles)}
        self.phrasings, self.passage_texts = texts["phrasings"], texts["passages"]
        self.phrase_article = _read(build, files.phrase_article, _array)
        self.passage_article = _read(build, files.passage_article, _array)
        for path, owners, rows in ((files.phrase_article, self.phrase_article, self.phrasings),
                                   (files.passage_article, self.passage_article, self.passage_texts)):
            _check(build, path, owners.ndim == 1 and len(owners) == len(rows) and np.issubdtype(owners.dtype, np.integer)
                   and (not len(owners) or 0 <= owners.min() <= owners.max() < len(self.articles)),
                   f"does not give an article to each of the {len(rows)} rows")
        self.article_langs = np.array([a["lang"] for a in self.articles])
        # Each article's topic: the original it translates (`translation_of`), or itself.
        self.topic = np.array([self.number.get(a.get("translation_of") or a["id"], i)
                               for i, a in enumerate(self.articles)])
        manifest = files.manifest
        try:
            self.encoders = list(self.manifest["encoders"])
            classifier_sets = dict(self.manifest["classifiers"])
            self.sets = self.manifest.get("encoder_sets") or feature_sets(self.encoders)
            self.calibration = _calibration(self.manifest["calibration"], self.sets)
            self.shift = {name: fusion.cross_language_shift(names) for name, names in self.sets.items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IndexBroken(_message(build, manifest, "is not a complete manifest")) from exc
        self.flat = {}
        for name in self.encoders:
            for part, owners in zip(PARTS, (self.phrase_article, self.passage_article)):
                path = files.faiss(name, part)
                self.flat[(name, part)] = flat = _read(build, path, lambda p: faiss.read_index(str(p)))
                _check(build, path, flat.ntotal == len(owners), f"has {flat.ntotal} rows, not {len(owners)}")
        self.classifiers = {}
        for set_name, names in classifier_sets.items():
            weights = _read(build, files.classifier_weights(set_name), _array)
            bias = _read(build, files.classifier_bias(set_name), _array)
            width = sum(self.flat[(n, "phrasings")].d for n in names if (n, "phrasings") in self.flat)
            _check(build, files.classifier_weights(set_name), weights.shape == (width, len(self.articles)),
                   f"is not a {width} by {len(self.articles)} matrix")
            _check(build, files.classifier_bias(set_name), bias.shape == (len(self.articles),),
                   f"does not hold {len(self.articles)} numbers")
            self.classifiers[set_name] = (names, weights, bias)
        # `kb index` writes the n-gram model with the classifier: one without the other is a lost file.
        self.ngrams = _read(build, files.ngrams("counts.npz"), lambda _: NgramModel.load(build),
                            optional=not self.classifiers)
        if self.ngrams is not None:
            _check(build, files.ngrams("counts.npz"), self.ngrams.log_counts.shape[1] == len(self.articles)
                   and len(self.ngrams.log_totals) == len(self.articles), "does not match the articles")
        keywords = files.keywords
        self.keywords = _read(build, keywords, KeywordIndex.load,  # None in a build from before keywords.npz
                              optional=not self.manifest.get("format", 0) >= KEYWORDS_FORMAT)
        if self.keywords is not None:
            _check(build, keywords, self.keywords.weights.shape[1] == len(self.articles), "does not match the articles")


def _message(build: Path, path: Path, problem: str) -> str:
    # Names the build and the file, not the server's folders: the message reaches visitors as a 503.
    return f"index build {build.name} cannot be loaded: {path.name} {problem}"


def _read(build: Path, path: Path, read, optional: bool = False):
    """`read(path)` (None for a missing optional file), any failure an IndexBroken: faiss says
    RuntimeError, numpy ValueError or EOFError, json ValueError, a lost file OSError."""
    if not path.exists():
        if optional:
            return None
        raise IndexBroken(_message(build, path, "is missing"))
    try:
        return read(path)
    except FileNotFoundError as exc:
        raise IndexBroken(_message(build, Path(exc.filename or path), "is missing")) from exc
    except Exception as exc:  # whatever a damaged file makes the reader raise
        raise IndexBroken(_message(build, path, "is truncated or not in its format")) from exc


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _array(path: Path) -> np.ndarray:
    found = np.load(path)
    if not isinstance(found, np.ndarray):  # an .npz archive where one array belongs
        raise TypeError(f"{path.name} holds no single array")
    return found


def _check(build: Path, path: Path, ok: bool, problem: str):
    if not ok:
        raise IndexBroken(_message(build, path, problem))


def _calibration(calib: dict, sets: dict) -> dict:
    """Per encoder set: (threshold, slope) for articles in the question's language and for the
    others; an older build has one pair for everything."""
    pairs = calib.get("sets") or {name: calib for name in sets}
    return {name: ((c["threshold"], c["slope"]), (c.get("across", c)["threshold"], c.get("across", c)["slope"]))
            for name, c in pairs.items()}
