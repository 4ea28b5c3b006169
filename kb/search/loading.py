"""Loading one index build from disk into memory: everything a search reads, nothing it computes."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kb.errors import IndexMissing
from kb.search import fusion
from kb.search.build import feature_sets
from kb.search.build_files import PARTS, BuildFiles
from kb.search.keywords import KeywordIndex
from kb.search.ngrams import NgramModel


class LoadedBuild:
    """The build `<index_dir>/current` points at, pinned: it stays this build even if `current` moves on."""

    def __init__(self, index_dir):
        import faiss

        faiss.omp_set_num_threads(1)  # one question at a time: a third OpenMP pool only adds contention
        current = Path(index_dir) / "current"
        if not BuildFiles(current).manifest.exists():
            # The message reaches visitors through the API: it names no folder of the server.
            raise IndexMissing("the search index is not built yet: run `kb index` first")
        self.path = current.resolve()
        files = BuildFiles(self.path)
        self.manifest = json.loads(files.manifest.read_text(encoding="utf-8"))
        self.articles = json.loads(files.articles.read_text(encoding="utf-8"))
        self.by_id = {a["id"]: a for a in self.articles}
        self.number = {a["id"]: i for i, a in enumerate(self.articles)}
        texts = json.loads(files.texts.read_text(encoding="utf-8"))
        self.phrasings, self.passage_texts = texts["phrasings"], texts["passages"]
        self.phrase_article = np.load(files.phrase_article)
        self.passage_article = np.load(files.passage_article)
        self.article_langs = np.array([a["lang"] for a in self.articles])
        # Each article's topic: the original it translates (`translation_of`), or itself.
        self.topic = np.array([self.number.get(a.get("translation_of") or a["id"], i)
                               for i, a in enumerate(self.articles)])
        self.encoders = self.manifest["encoders"]
        self.flat = {(name, part): faiss.read_index(str(files.faiss(name, part)))
                     for name in self.encoders for part in PARTS}
        self.classifiers = {
            set_name: (names, np.load(files.classifier_weights(set_name)), np.load(files.classifier_bias(set_name)))
            for set_name, names in self.manifest["classifiers"].items()}
        self.sets = self.manifest.get("encoder_sets") or feature_sets(self.encoders)
        self.calibration = _calibration(self.manifest["calibration"], self.sets)
        self.shift = {name: fusion.cross_language_shift(names) for name, names in self.sets.items()}
        self.ngrams = NgramModel.load(self.path)
        self.keywords = KeywordIndex.load(files.keywords)  # None in a build from before keywords.npz


def _calibration(calib: dict, sets: dict) -> dict:
    """Per encoder set: (threshold, slope) for articles in the question's language and for the
    others; an older build has one pair for everything."""
    pairs = calib.get("sets") or {name: calib for name in sets}
    return {name: ((c["threshold"], c["slope"]), (c.get("across", c)["threshold"], c.get("across", c)["slope"]))
            for name, c in pairs.items()}
