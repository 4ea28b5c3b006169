"""The search's signals, each one module and one shape (`base.Signal`: fit, save, load, evidence),
listed once, here: `kb index` fits and saves them in this order, a server loads them and asks each
about every question, and `kb.search.scoring.score` turns what they found into rank and confidence.

A new signal is one new module and one line in `signals`.
"""
from __future__ import annotations

from pathlib import Path

from kb.search.encoders import question_sets
from kb.search.signals.base import Signal
from kb.search.signals.classifier import Classifier
from kb.search.signals.encoder import Encoder
from kb.search.signals.keywords import Keywords
from kb.search.signals.ngrams import CharacterNgrams


def signals(encoders, sources: dict | None = None, cache_dir: Path | None = None, progress=None) -> list[Signal]:
    """Every signal of an index with these encoders (what each loads: `sources`); the encoders come
    first, since the classifier learns from their vectors."""
    sources = sources or {}
    return [*(Encoder(name, sources.get(name), cache_dir, progress) for name in encoders),
            Classifier(question_sets(encoders)),
            CharacterNgrams(),
            Keywords()]
