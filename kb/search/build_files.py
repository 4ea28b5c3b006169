"""The names of the files inside one index build, in one place: `build` writes them, `loading`
reads them, the n-gram model saves and loads its own through them."""
from __future__ import annotations

from pathlib import Path

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
    def keywords(self) -> Path:  # the BM25 matrix of terms by articles (kb.search.keywords)
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
