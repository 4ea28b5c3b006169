"""Exploration harness behind the "what was tried" rows of docs/quality.md.

Embeds each eval set's phrasings, answer passages and questions once (cached in --cache), then
scores every question in numpy through the product's own functions: `kb.search.scoring.score`
(fused similarity, ranking score, what confidence is calibrated from), `kb.search.signals.classifier`
(`features`, `train`),
`kb.search.calibration.learn` (the thresholds, from its folds) and `kb.evaluation.quality.score` (the
metrics of `kb eval`). Only the variants being explored are made here, on top of those: a constant of
the product changed for one call (the classifier's C, an encoder's weight, the n-gram weight), or a
term added to the product's ranking score.

Unlike `kb eval`, MiniLM is the base model (no `kb tune`), and similarities are exact where the
searcher takes faiss's top rows (the same on these sets: they have fewer rows than it fetches).

    .venv/bin/python -m kb.evaluation.explore ../shared/eval [--cache /tmp/kb-explore]
"""
from __future__ import annotations

import argparse
import contextlib
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np

from kb.articles.parsing import load_articles
from kb.evaluation.quality import load_queries, score
from kb.search import calibration, scoring
from kb.search.encoders import encoder, question_encoders, question_set, question_sets
from kb.search.scoring import Evidence
from kb.search.signals import classifier
from kb.search.signals.base import passages
from kb.search.signals.encoder import PASSAGE_PENALTY
from kb.search.signals.ngrams import NgramModel
from kb.text import guess_language

ENCODERS = ["minilm", "use", "e5"]  # `kb index`'s default, in its order
SETS = ["banking-en", "banking-ru", "banking-xling"]


def embed(set_dir: Path, cache: Path) -> dict:
    """Phrasings, passages and questions of a set with their vectors from every encoder."""
    path = cache / f"{set_dir.name}.npz"
    if path.exists():
        return dict(np.load(path))
    from kb.search.encoders import get_embedder

    articles, _ = load_articles(set_dir / "articles")
    ids = [a.id for a in articles]
    data = {"ph": [], "pa": [], "ps": [], "psa": []}
    for i, a in enumerate(articles):
        data["ph"] += a.phrasings
        data["pa"] += [i] * len(a.phrasings)
        found = passages(a.body)
        data["ps"] += found
        data["psa"] += [i] * len(found)
    queries = load_queries(set_dir / "queries.jsonl")
    out = {k: np.array(v) for k, v in data.items()}
    out["q"] = np.array([q["query"] for q in queries])
    out["exp"] = np.array([ids.index(q["expected"]) if q["expected"] else -1 for q in queries])
    out["kind"] = np.array([q["kind"] for q in queries])
    for name in ENCODERS:
        model = get_embedder(name)
        out[f"{name}_ph"], out[f"{name}_ps"] = model.encode(data["ph"]), model.encode(data["ps"])
        # a search embeds one question at a time, and e5 cuts it first (E5Embedder.encode)
        texts = [model.shorten(q) for q in out["q"]] if name == "e5" else list(out["q"])
        out[f"{name}_q"] = model.encode(texts)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)
    return out


@dataclass
class Group:
    """The questions of a set in one language, with what `Searcher.score` computes for them."""

    rows: np.ndarray  # the questions' numbers in the set
    lang: str
    set_name: str  # which classifier and calibration serve them
    per_encoder: dict  # each question encoder's best similarity per article, a row per question
    questions: dict  # every encoder's question vectors
    ngrams: np.ndarray  # the n-gram model's log-likelihoods
    uses_ngrams: bool  # whether the product adds them for this language


class Explorer:
    """One eval set, scored as `kb search` would score it over a `kb index` build of its articles."""

    def __init__(self, d: dict, article_ids: list[str], article_langs: np.ndarray):
        self.d, self.ids, self.article_langs = d, article_ids, article_langs
        self.sets = question_sets(ENCODERS)
        self.phrase_vectors = {name: d[f"{name}_ph"] for name in ENCODERS}
        ngram_model = NgramModel.fit(list(d["ph"]), d["pa"], len(article_ids))
        question_langs = np.array([guess_language(q) for q in d["q"]])
        self.groups = []
        for lang in np.unique(question_langs):
            rows = np.flatnonzero(question_langs == lang)
            names = question_encoders(ENCODERS, lang)
            self.groups.append(Group(
                rows=rows, lang=lang, set_name=question_set(lang, self.sets),
                per_encoder={name: self._similarity(name, rows) for name in names},
                questions={name: d[f"{name}_q"][rows] for name in ENCODERS},
                ngrams=np.stack([ngram_model.log_likelihood(q) for q in d["q"][rows]]),
                uses_ngrams=all(encoder(n).languages is None for n in names)))
        self.models = {set_name: self.train(names) for set_name, names in self.sets.items()}

    def _similarity(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Best similarity per article, of a phrasing or (less) of an answer passage, as `Searcher.score`."""
        d, n = self.d, len(self.ids)
        q = d[f"{name}_q"][rows]
        by_phrase = calibration.article_max(q @ d[f"{name}_ph"].T, np.searchsorted(d["pa"], np.arange(n)), len(d["pa"]))
        by_passage = calibration.article_max(q @ d[f"{name}_ps"].T, np.searchsorted(d["psa"], np.arange(n)),
                                             len(d["psa"]))
        return np.maximum(by_phrase, by_passage - PASSAGE_PENALTY)

    def train(self, names: list[str]):
        """The classifier `kb index` learns over these encoders' phrasing vectors."""
        return classifier.train(classifier.features(self.phrase_vectors, names), self.d["pa"])

    def scores(self, models=None, ngrams: bool | None = None, weights: dict | None = None) -> list[scoring.Scores]:
        """`scoring.score` per language group; `models` replaces the classifiers, `ngrams` forces the
        n-gram evidence on or off (None: where the product uses it), `weights` changes encoders'
        weights (their `weight`) in the fused similarity (not in the classifier's features)."""
        models = self.models if models is None else models
        out = []
        for g in self.groups:
            names = self.sets[g.set_name]
            coef, bias = models[g.set_name]
            logits = classifier.features(g.questions, names) @ coef + bias
            use = g.uses_ngrams if ngrams is None else ngrams
            evidence = Evidence(g.lang, self.article_langs, g.per_encoder, logits=logits, ngrams=g.ngrams if use else None)
            with contextlib.ExitStack() as changed:
                for name, weight in (weights or {}).items():
                    changed.enter_context(mock.patch.object(encoder(name), "weight", weight))
                out.append(scoring.score(evidence))
        return out

    def collect(self, per_group: list[np.ndarray]) -> np.ndarray:
        """Per-group rows (one per question) back in the set's question order."""
        out = np.zeros((len(self.d["q"]), len(self.ids)))
        for g, values in zip(self.groups, per_group):
            out[g.rows] = values
        return out

    def confidence(self, scores: list[scoring.Scores], with_classifier: bool) -> np.ndarray:
        """Every article's calibrated confidence, as `Searcher.score`, thresholds from the calibration's
        folds (with or without the classifier, as `kb index` learns them)."""
        learnt = calibration.learn(self.phrase_vectors, self.d["pa"], self.article_langs, self.sets,
                                   with_classifier)["sets"]
        out = []
        for g, s in zip(self.groups, scores):
            c = learnt[g.set_name]
            out.append(np.where(self.article_langs == g.lang,
                                scoring.calibrated(s.uncalibrated, c["threshold"], c["slope"]),
                                scoring.calibrated(s.uncalibrated, c["across"]["threshold"], c["across"]["slope"])))
        return self.collect(out)

    def metrics(self, rank: np.ndarray, confidence: np.ndarray | None = None) -> dict:
        """`kb eval`'s metrics (`quality.score`) for a ranking score and each article's confidence:
        the answer is the first result, "no match" and the confidence its own (`Searcher.search`)."""
        order = np.argsort(-rank, axis=1, kind="stable")[:, :3]
        first = np.zeros(len(rank)) if confidence is None else confidence[np.arange(len(rank)), order[:, 0]]
        outcomes = [{"expected": self.ids[e] if e >= 0 else None, "kind": kind,
                     "ranked": [self.ids[i] for i in top], "no_match": bool(c < 0.5), "confidence": float(c), "ms": 0.0}
                    for e, kind, top, c in zip(self.d["exp"], self.d["kind"], order, first)]
        found = score(outcomes)
        found["oracle"] = oracle(self.d["exp"], order[:, 0], first)
        return found


def oracle(expected: np.ndarray, top: np.ndarray, confidence: np.ndarray) -> float:
    """The accuracy of the best threshold on this confidence, chosen knowing the answers."""
    inscope = expected >= 0
    found = top == expected
    grid = np.quantile(confidence, np.linspace(0, 1, 401))
    return max(np.where(inscope, found & (confidence >= t), confidence < t).mean() for t in grid)


def explore(d: dict, article_ids: list[str], article_langs: np.ndarray):
    x = Explorer(d, article_ids, article_langs)
    default = x.scores()
    rank = x.collect([s.rank for s in default])

    def ranking(values) -> str:
        m = x.metrics(values)
        return f"{m['top1']:.3f} {m['recall_at_3']:.3f}"

    print("ranking: top1, recall@3")
    print("  fused similarity                    " + ranking(x.collect([s.semantic for s in default])))
    print("  + classifier, no n-grams            " + ranking(x.collect([s.rank for s in x.scores(ngrams=False)])))
    print("  + classifier (default)              " + ranking(rank))
    for c in (3.0, 30.0, 100.0):
        with mock.patch.object(classifier, "C", c):
            models = {set_name: x.train(names) for set_name, names in x.sets.items()}
        print(f"  + classifier C={c:<5}                " + ranking(x.collect([s.rank for s in x.scores(models)])))
    each = []
    for g in x.groups:
        names = x.sets[g.set_name]
        probabilities = []
        for name in names:
            weights, bias = x.train([name])
            probabilities.append(scoring.softmax(classifier.features(g.questions, [name]) @ weights + bias))
        each.append(sum(probabilities) / len(probabilities))
    print("  + mean of one classifier per encoder " + ranking(rank + x.collect(each)))
    for w in (0.3, 0.5, 1.0):
        with mock.patch.object(scoring, "NGRAM_WEIGHT", w):
            print(f"  + {w} x character n-gram NB         " + ranking(x.collect([s.rank for s in x.scores(ngrams=True)])))
    for w in (0.75, 1.0):
        print(f"  USE weight {w}                      " + ranking(x.collect([s.rank for s in x.scores(weights={"use": w})])))
    print("confidence (threshold from the folds): accuracy, auroc, oracle accuracy")
    for label, with_classifier in (("best similarity", False), ("best similarity + probability (default)", True)):
        scores = default if with_classifier else [_without_classifier(x, g) for g in x.groups]
        m = x.metrics(rank, x.confidence(scores, with_classifier))
        print(f"  {label:<40} {m['accuracy']:.3f} {m['auroc']:.3f} {m['oracle']:.3f}")


def _without_classifier(x: Explorer, g: Group) -> scoring.Scores:
    """What a build without a classifier scores (its evidence: the similarity, shifted across languages)."""
    return scoring.score(Evidence(g.lang, x.article_langs, g.per_encoder))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_dir", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kb-explore"))
    args = parser.parse_args()
    for name in SETS:
        set_dir = args.eval_dir / name
        d = embed(set_dir, args.cache)
        articles, _ = load_articles(set_dir / "articles")
        print(f"## {name}")
        explore(d, [a.id for a in articles], np.array([a.lang for a in articles]))
        print()


if __name__ == "__main__":
    main()
