"""`kb eval`: run an evaluation set through the same search function and score it.

A set is a folder with `articles/*.md` and `queries.jsonl` (see shared/eval/README.md).
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np

from kb.errors import KBError


def load_queries(path) -> list[dict]:
    queries = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            queries.append({"query": item["query"], "expected": item.get("expected"), "kind": item.get("kind", "in" if item.get("expected") else "oos")})
        except (ValueError, KeyError, TypeError) as exc:
            raise KBError(f"{path}:{number}: not a query line ({exc})") from exc
    return queries


def auroc(positive: list[float], negative: list[float]) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    if not positive or not negative:
        return float("nan")
    pos, neg = np.asarray(positive), np.sort(np.asarray(negative))
    below = np.searchsorted(neg, pos, side="left")
    ties = np.searchsorted(neg, pos, side="right") - below
    return float((below + 0.5 * ties).sum() / (len(pos) * len(neg)))


def percentile(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else 0.0


def score(outcomes: list[dict]) -> dict:
    """Metrics of shared/eval/README.md from per-query outcomes.

    Each outcome: expected (id or None), kind, ranked (list of ids), no_match, confidence, ms.
    """
    inscope = [o for o in outcomes if o["expected"]]
    nomatch = [o for o in outcomes if not o["expected"]]

    def first(o):
        return o["ranked"][0] if o["ranked"] else None

    def correct(o):
        return (not o["no_match"] and first(o) == o["expected"]) if o["expected"] else o["no_match"]

    def share(items, test):
        return round(sum(map(test, items)) / len(items), 4) if items else 0.0

    times = [o["ms"] for o in outcomes]
    metrics = {
        "top1": share(inscope, lambda o: first(o) == o["expected"]),
        "recall_at_3": share(inscope, lambda o: o["expected"] in o["ranked"][:3]),
        "accuracy": share(outcomes, correct),
        "no_match_recall": share(nomatch, lambda o: o["no_match"]),
        "false_no_match_rate": share(inscope, lambda o: o["no_match"]),
        "auroc": round(auroc([o["confidence"] for o in inscope], [o["confidence"] for o in nomatch]), 4),
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "queries": len(outcomes),
        "answerable": len(inscope),
        "unanswerable": len(nomatch),
    }
    kinds = {}
    for kind in sorted({o["kind"] for o in outcomes}):
        items = [o for o in outcomes if o["kind"] == kind]
        kinds[kind] = {"queries": len(items), "accuracy": share(items, correct),
                       "said_no_match": share(items, lambda o: o["no_match"])}
        if kind == "in":
            kinds[kind]["top1"] = metrics["top1"]
    metrics["by_kind"] = kinds
    return metrics


def _tune_once(articles_dir: Path, out: Path):
    """Adapt MiniLM to the set as a team would with `kb tune`; once per set of phrasings."""
    from kb.articles.parsing import load_articles
    from kb.search import tune

    articles, _ = load_articles(articles_dir)
    if len(tune.english_groups(articles)) >= 2 and not tune.is_current(out, articles):
        tune.tune(articles_dir, out)


def eval_index_dir(set_dir: Path, base: Path) -> Path:
    digest = hashlib.sha1(str(set_dir.resolve()).encode()).hexdigest()[:8]
    return base / "eval" / f"{set_dir.name}-{digest}"


def measure(searcher, queries: list[dict]) -> list[dict]:
    """Search each question as a customer would (3 results) and record what `score` needs."""
    for q in queries[:5]:  # warm up: first calls pay for lazy loading
        searcher.search(q["query"], limit=3)
    outcomes = []
    for q in queries:
        started = time.perf_counter()
        response = searcher.search(q["query"], limit=3)
        ms = (time.perf_counter() - started) * 1000
        outcomes.append({"expected": q["expected"], "kind": q["kind"], "ranked": [r.id for r in response.results],
                         "no_match": response.no_match, "confidence": response.confidence, "ms": ms})
    return outcomes


def run_eval(set_dir, index_base="index", encoders=None, progress=False, limit_queries=None,
             tune_model: bool = True) -> dict:
    from kb.search.build import build_index
    from kb.search.searcher import Searcher

    set_dir = Path(set_dir)
    if not (set_dir / "queries.jsonl").exists() or not (set_dir / "articles").is_dir():
        raise KBError(f"{set_dir} is not an eval set: it needs articles/ and queries.jsonl")
    queries = load_queries(set_dir / "queries.jsonl")[:limit_queries]
    out = eval_index_dir(set_dir, Path(index_base))
    kwargs = {"encoders": tuple(encoders)} if encoders else {}
    if tune_model and "minilm" in kwargs.get("encoders", ("minilm",)):
        _tune_once(set_dir / "articles", out)
    build_index(set_dir / "articles", out, progress=progress, **kwargs)
    searcher = Searcher(out)
    outcomes = measure(searcher, queries)
    metrics = score(outcomes)
    metrics["set"] = set_dir.name
    metrics["thresholds"] = {name: [round(same[0], 4), round(across[0], 4)]
                             for name, (same, across) in searcher.calibration.items()}
    return metrics
