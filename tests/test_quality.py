"""Guards the matching quality reached (docs/quality.md): fails when top1 drops below it.

Two guards. The sample knowledge base with questions written for this test (tests/data), always.
And a sample of the shared eval sets (every 10th question, so a mix of all kinds), where the sets
are on the machine (conftest.eval_sets; CI requires them); no eval question is copied into the
repository.
"""
import json

import pytest
from conftest import ROOT, eval_sets

from kb.evaluation.quality import eval_index_dir, load_queries, run_eval, score

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


@pytest.mark.parametrize("name", sorted(EVAL_FLOORS))
def test_eval_sample_top1(name, tmp_path, cache_dir):
    sets = eval_sets()
    sample = tmp_path / name
    sample.mkdir()
    (sample / "articles").symlink_to(sets / name / "articles")
    lines = (sets / name / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    (sample / "queries.jsonl").write_text("\n".join(lines[::10]) + "\n", encoding="utf-8")
    # The session's embedding cache: the sets share most article texts (xling's English side is en's).
    out = eval_index_dir(sample, tmp_path / "index")
    out.mkdir(parents=True)
    (out / "cache").symlink_to(cache_dir)
    metrics = run_eval(sample, index_base=tmp_path / "index", tune_model=False)
    print(name, json.dumps({k: metrics[k] for k in ("top1", "recall_at_3", "accuracy", "auroc")}))
    assert metrics["top1"] >= EVAL_FLOORS[name]
