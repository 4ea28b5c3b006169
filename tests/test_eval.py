import json

import pytest
from conftest import SAMPLE_ARTICLES

from kb.evaluation.quality import auroc, run_eval, score


def outcome(expected, first, no_match, confidence, kind="in", ms=1.0, ranked=None):
    return {"expected": expected, "kind": kind, "ranked": ranked or [first, "other", "third"],
            "no_match": no_match, "confidence": confidence, "ms": ms}


def test_metrics_on_outcomes_with_known_answers():
    outcomes = [
        outcome("a", "a", False, 0.9, ms=10),         # right and answered
        outcome("b", "a", False, 0.8, ms=20),         # wrong first result
        outcome("c", "c", True, 0.4, ms=30),          # right but said no match
        outcome("d", "x", False, 0.7, ms=40, ranked=["x", "d", "y"]),  # expected second
        outcome(None, "a", True, 0.3, kind="id-oos", ms=50),
        outcome(None, "b", False, 0.85, kind="ood-oos", ms=60),
    ]
    m = score(outcomes)
    assert m["top1"] == 0.5                 # a, c
    assert m["recall_at_3"] == 0.75         # a, c, d
    assert m["false_no_match_rate"] == 0.25
    assert m["no_match_recall"] == 0.5
    assert m["accuracy"] == round(2 / 6, 4)  # a answered right, one no-match said
    # in-scope confidences 0.9 0.8 0.4 0.7 against 0.3 0.85: 5 of the 8 pairs ordered right
    assert m["auroc"] == pytest.approx((2 + 1 + 1 + 1) / 8)
    assert m["p50_ms"] == 35 and m["by_kind"]["ood-oos"]["accuracy"] == 0.0


def test_auroc_edges():
    assert auroc([1, 2], [0, 0.5]) == 1.0
    assert auroc([0.5], [0.5]) == 0.5
    assert auroc([0], [1]) == 0.0


def test_eval_on_a_tiny_hand_made_set(tmp_path):
    folder = tmp_path / "tiny"
    (folder / "articles").mkdir(parents=True)
    for name in ("cancel-order", "reset-password", "en-track-order"):
        (folder / "articles" / f"{name}.md").write_text((SAMPLE_ARTICLES / f"{name}.md").read_text(encoding="utf-8"), encoding="utf-8")
    queries = [
        {"query": "передумал покупать, как отменить заказ", "expected": "cancel-order", "kind": "in"},
        {"query": "не получается войти, забыл пароль", "expected": "reset-password", "kind": "in"},
        {"query": "where is my parcel right now", "expected": "en-track-order", "kind": "in"},
        {"query": "какой сегодня курс биткоина к доллару", "expected": None, "kind": "ood-oos"},
    ]
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in queries), encoding="utf-8")
    m = run_eval(folder, index_base=tmp_path / "index")
    assert m["queries"] == 4 and m["top1"] == 1.0 and m["recall_at_3"] == 1.0
    assert m["no_match_recall"] == 1.0 and m["accuracy"] == 1.0
    assert m["p95_ms"] > 0
