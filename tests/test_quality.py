"""Guards the matching quality reached (docs/quality.md): fails when top1 drops below it.

Two guards. The sample knowledge base with questions written for this test (tests/data), always.
And a sample of the shared eval sets (every 10th question, so a mix of all kinds), where the sets
are on the machine (conftest.eval_sets; CI requires them); no eval question is copied into the
repository.
"""
import hashlib
import json
from pathlib import Path

import pytest
from conftest import ROOT, eval_sets, index_folder, keep_embeddings

from kb.evaluation.quality import load_queries, measure, score

# top1 on every 10th question of each set, without `kb tune` (it takes minutes), reached 2026-11-26:
# en 0.82, ru 0.69, xling 0.65; the floors leave 0.02 for ties that thread timing can flip.
EVAL_FLOORS = {"banking-en": 0.80, "banking-ru": 0.67, "banking-xling": 0.63}
# The sample knowledge base reached top1 1.0 (30 questions) and accuracy 0.944 (36): two misses allowed.
SAMPLE_FLOORS = {"top1": 0.93, "accuracy": 0.88}


def test_sample_knowledge_base_questions(searcher):
    outcomes = []
    for q in load_queries(ROOT / "tests" / "data" / "sample_questions.jsonl"):
        response = searcher.search(q["query"], limit=3)
        outcomes.append({"expected": q["expected"], "kind": q["kind"], "ranked": [r.id for r in response.results],
                         "no_match": response.no_match, "confidence": response.confidence, "ms": response.took_ms})
    metrics = score(outcomes)
    print(json.dumps(metrics))
    assert metrics["top1"] >= SAMPLE_FLOORS["top1"] and metrics["accuracy"] >= SAMPLE_FLOORS["accuracy"]


@pytest.fixture(scope="session")
def eval_searchers(tmp_path_factory):
    """One build per knowledge base, over the embeddings kept for it: banking-xling asks Russian
    questions of banking-en's very articles, so the two guards search one build (a build, with its
    classifier and calibration, costs far more than the questions)."""
    from kb.search.build import build_index
    from kb.search.searcher import Searcher

    builds = {}

    def searcher(articles: Path):
        digest = hashlib.sha1(b"".join(p.name.encode() + p.read_bytes()
                                       for p in sorted(articles.glob("*.md")))).hexdigest()[:12]
        if digest not in builds:
            out = index_folder(tmp_path_factory.mktemp(f"eval-{digest}"), kept=f"eval-{digest}")
            build_index(articles, out)
            keep_embeddings(out, kept=f"eval-{digest}")
            builds[digest] = Searcher(out)
        return builds[digest]

    return searcher


@pytest.mark.parametrize("name", sorted(EVAL_FLOORS))
def test_eval_sample_top1(name, eval_searchers):
    sets = eval_sets()
    queries = load_queries(sets / name / "queries.jsonl")[::10]
    metrics = score(measure(eval_searchers(sets / name / "articles"), queries))
    print(name, json.dumps({k: metrics[k] for k in ("top1", "recall_at_3", "accuracy", "auroc")}))
    assert metrics["top1"] >= EVAL_FLOORS[name]
