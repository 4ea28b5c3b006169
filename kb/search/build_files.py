"""The files inside one index build, in one place: their names (`build` and each signal write
them, `loading` and each signal read them) and how a file is read back checked, so that a truncated,
missing or foreign file is an `IndexBroken` naming the build and the file."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kb.errors import IndexBroken

PARTS = ("phrasings", "passages")  # an encoder's two faiss indexes: known phrasings, answer passages


class BuildFiles:
    def __init__(self, folder):
        self.folder = Path(folder)

    @property
    def manifest(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def articles(self) -> Path:
        return self.folder / "articles.json"

    @property
    def texts(self) -> Path:  # the phrasings and passages, in row order
        return self.folder / "texts.json"

    @property
    def phrase_article(self) -> Path:  # the article number of each phrasing row
        return self.folder / "phrase_article.npy"

    @property
    def passage_article(self) -> Path:
        return self.folder / "passage_article.npy"

    @property
    def keywords(self) -> Path:  # the BM25 matrix of terms by articles (kb.search.signals.keywords)
        return self.folder / "keywords.npz"

    def faiss(self, encoder: str, part: str) -> Path:
        return self.folder / f"{encoder}.{part}.faiss"

    def classifier_weights(self, set_name: str) -> Path:
        return self.folder / f"classifier.{set_name}.weights.npy"

    def classifier_bias(self, set_name: str) -> Path:
        return self.folder / f"classifier.{set_name}.bias.npy"

    def ngrams(self, part: str) -> Path:
        """`vocabulary.txt`, `idf.npy`, `totals.npy` or `counts.npz` of the n-gram model."""
        return self.folder / f"ngrams.{part}"

    def ngram_files(self) -> list[Path]:
        return sorted(self.folder.glob("ngrams.*"))

    # -- reading back, checked ---------------------------------------------------------------
    def broken(self, path: Path, problem: str) -> IndexBroken:
        # Names the build and the file, not the server's folders: the message reaches visitors as a 503.
        return IndexBroken(f"index build {self.folder.name} cannot be loaded: {path.name} {problem}")

    def read(self, path: Path, read, optional: bool = False):
        """`read(path)` (None for a missing optional file), any failure an IndexBroken: faiss says
        RuntimeError, numpy ValueError or EOFError, json ValueError, a lost file OSError."""
        if not path.exists():
            if optional:
                return None
            raise self.broken(path, "is missing")
        try:
            return read(path)
        except FileNotFoundError as exc:
            raise self.broken(Path(exc.filename or path), "is missing") from exc
        except Exception as exc:  # whatever a damaged file makes the reader raise
            raise self.broken(path, "is truncated or not in its format") from exc

    def check(self, path: Path, ok: bool, problem: str):
        if not ok:
            raise self.broken(path, problem)


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def read_array(path: Path) -> np.ndarray:
    found = np.load(path)
    if not isinstance(found, np.ndarray):  # an .npz archive where one array belongs
        raise TypeError(f"{path.name} holds no single array")
    return found
