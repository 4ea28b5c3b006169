"""Exploration harness behind the "what was tried" rows of docs/quality.md.

Embeds each eval set's phrasings and questions once (cached in --cache), then scores ranking and
confidence variants in numpy: articles ranked by their best phrasing, as `kb search` does, with the
classifier and the calibration folds re-implemented here so that variants are cheap to compare.
The default itself is measured with `kb eval`; these rows chose it.

    .venv/bin/python scripts/explore_quality.py ../shared/eval [--cache /tmp/kb-explore]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from kb.articles import load_articles
from kb.search import calibration
from kb.search.build import passages
from kb.search.ngrams import NgramModel

WEIGHTS = {"minilm": 1.0, "e5": 1.0, "use": 0.5}
SETS = {"banking-en": ["minilm", "use"], "banking-ru": ["e5", "use"], "banking-xling": ["e5", "use"]}
SHIFT = {"e5": 0.040, "use": 0.053}


def embed(set_dir: Path, cache: Path) -> dict:
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
    queries = [json.loads(line) for line in (set_dir / "queries.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    out = {k: np.array(v) for k, v in data.items()}
    out["q"] = np.array([q["query"] for q in queries])
    out["exp"] = np.array([ids.index(q["expected"]) if q["expected"] else -1 for q in queries])
    out["kind"] = np.array([q["kind"] for q in queries])
    for name in ("minilm", "use", "e5"):
        model = get_embedder(name)
        out[f"{name}_ph"], out[f"{name}_ps"] = model.encode(data["ph"]), model.encode(data["ps"])
        texts = [model.shorten(q) for q in out["q"]] if name == "e5" else list(out["q"])
        out[f"{name}_q"] = model.encode(texts)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)
    return out


def article_max(scores, owners):
    return np.maximum.reduceat(scores, np.searchsorted(owners, np.arange(owners.max() + 1)), axis=-1)


def similarities(d, names, key="_q"):
    return {n: np.maximum(article_max(d[n + key] @ d[n + "_ph"].T, d["pa"]),
                          article_max(d[n + key] @ d[n + "_ps"].T, d["psa"]) - 0.1) for n in names}


def fuse(per, names, weights=WEIGHTS):
    return sum(weights[n] * per[n] for n in names) / sum(weights[n] for n in names)


def features(d, names, key):
    return np.hstack([np.sqrt(WEIGHTS[n]) * d[n + key] for n in names])


def classifier(d, names, rows=None, c=10.0):
    rows = np.ones(len(d["pa"]), bool) if rows is None else rows
    return LogisticRegression(C=c, max_iter=300).fit(features(d, names, "_ph")[rows], d["pa"][rows])


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def ranking(d, score):
    inscope = d["exp"] >= 0
    order = np.argsort(-score, axis=1)[inscope]
    return (order[:, 0] == d["exp"][inscope]).mean(), (order[:, :3] == d["exp"][inscope, None]).any(1).mean()


def decisions(d, score, confidence, threshold):
    inscope = d["exp"] >= 0
    top1 = score.argmax(1) == d["exp"]
    said_no = confidence < threshold
    accuracy = np.where(inscope, top1 & ~said_no, said_no).mean()
    grid = np.quantile(confidence, np.linspace(0, 1, 401))
    oracle = max(np.where(inscope, top1 & (confidence >= t), confidence < t).mean() for t in grid)
    return accuracy, roc_auc_score(inscope, confidence), oracle


def fold_samples(d, names, folds=5, seed=0):
    """The calibration's folds (kb.search.calibration), similarity and classifier retrained per fold."""
    rng = np.random.default_rng(seed)
    pa = d["pa"]
    n_articles = pa.max() + 1
    group = rng.permutation(n_articles) % folds
    position = np.arange(len(pa)) - np.searchsorted(pa, np.arange(n_articles))[pa]
    answerable, unanswerable = [], []
    for k in range(folds):
        left_out = group[pa] == k
        held = ~left_out & (position == k % np.bincount(pa)[pa])
        train = ~left_out & ~held
        kept = np.unique(pa[train])
        column = -np.ones(n_articles, int)
        column[kept] = np.arange(len(kept))
        model = LogisticRegression(C=10, max_iter=300).fit(features(d, names, "_ph")[train], column[pa[train]])
        owners = column[pa[train]]
        for rows, out in ((held, answerable), (left_out, unanswerable)):
            per = {n: article_max(d[n + "_ph"][rows] @ d[n + "_ph"][train].T, owners) for n in names}
            semantic = fuse(per, names)
            score = semantic + model.predict_proba(features(d, names, "_ph")[rows])
            found = score.argmax(1) == column[pa[rows]]
            out.append(np.c_[semantic.max(1), score.max(1), found])
    answerable, unanswerable = np.vstack(answerable), np.vstack(unanswerable)
    return answerable[answerable[:, 2] == 1], unanswerable


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("eval_dir", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/kb-explore"))
    args = parser.parse_args()
    for name, names in SETS.items():
        d = embed(args.eval_dir / name, args.cache)
        per = similarities(d, names)
        semantic = fuse(per, names)
        probability = classifier(d, names).predict_proba(features(d, names, "_q"))
        score = semantic + probability
        print(f"## {name}")
        print("ranking: top1, recall@3")
        print("  fused similarity                    %.3f %.3f" % ranking(d, semantic))
        print("  + classifier (default)              %.3f %.3f" % ranking(d, score))
        for c in (3.0, 30.0, 100.0):
            p = classifier(d, names, c=c).predict_proba(features(d, names, "_q"))
            print(f"  + classifier C={c:<5}                %.3f %.3f" % ranking(d, semantic + p))
        each = [classifier(d, [n]).predict_proba(features(d, [n], "_q")) for n in names]
        print("  + mean of one classifier per encoder %.3f %.3f" % ranking(d, semantic + probability + sum(each) / len(each)))
        ngrams = NgramModel.fit(list(d["ph"]), d["pa"], d["pa"].max() + 1)
        nb = softmax(np.stack([ngrams.log_likelihood(q) for q in d["q"]]))
        for w in (0.3, 0.5, 1.0):
            print(f"  + {w} x character n-gram NB         %.3f %.3f" % ranking(d, score + w * nb))
        for w in (0.75, 1.0):
            weights = dict(WEIGHTS, use=w)
            print(f"  USE weight {w}                      %.3f %.3f" % ranking(d, fuse(per, names, weights) + probability))
        answerable, unanswerable = fold_samples(d, names)
        shift = sum(WEIGHTS[n] * SHIFT[n] for n in names if n in SHIFT) / sum(WEIGHTS[n] for n in names if n in SHIFT)
        shift = shift if name.endswith("xling") else 0.0
        print("confidence (threshold from the folds): accuracy, auroc, oracle accuracy")
        for label, column, confidence in (("best similarity", 0, semantic.max(1) + shift),
                                          ("best similarity + probability", 1, score.max(1) + shift)):
            threshold = calibration.best_threshold(answerable[:, column], unanswerable[:, column])
            print(f"  {label:<34} %.3f %.3f %.3f" % decisions(d, score, confidence, threshold))
        print()


if __name__ == "__main__":
    main()
