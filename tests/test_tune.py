"""`kb tune`: MiniLM adapted to the knowledge base, saved beside the index and used by `kb index`."""
import json

import numpy as np

from kb.articles.parsing import load_articles
from kb.search import tune
from kb.search.build import build_index
from kb.search.encoders import get_embedder
from kb.search.searcher import Searcher


def test_batches_never_hold_two_pairs_of_one_article():
    import random

    pairs = tune.training_pairs([["a", "b", "c"], ["d", "e"], ["f", "g"]], 100, random.Random(0))
    assert len(pairs) == 6 + 2 + 2
    seen = []
    for batch in tune.batches(pairs, 2):
        assert len(batch) <= 2 and len({k for k, _, _ in batch}) == len(batch)
        seen.extend(batch)
    assert sorted(seen) == sorted(pairs)


def test_tuned_model_pulls_an_articles_phrasings_together_and_index_uses_it(small_kb, small_index_dir):
    articles, _ = load_articles(small_kb)
    groups = tune.english_groups(articles)

    def within_article_similarity(embedder):
        return np.mean([(embedder.encode(g) @ embedder.encode(g).T)[np.triu_indices(len(g), 1)].mean() for g in groups])

    before = within_article_similarity(get_embedder("minilm"))
    build_index(small_kb, small_index_dir)
    untuned = json.loads((small_index_dir / "current" / "manifest.json").read_text())
    assert untuned["sources"]["minilm"] == "minilm"

    report = tune.tune(small_kb, small_index_dir, epochs=1)
    assert report.articles == 2 and report.pairs > 0 and tune.is_current(small_index_dir, articles)
    tuned = get_embedder(report.path, "minilm")
    assert tuned.name == "minilm" and not tuned.multilingual
    assert within_article_similarity(tuned) > before + 0.01

    build_index(small_kb, small_index_dir)
    manifest = json.loads((small_index_dir / "current" / "manifest.json").read_text())
    assert manifest["sources"]["minilm"] == report.path
    assert manifest["models"]["minilm"] != untuned["models"]["minilm"]  # new vectors: nothing stale reused
    assert manifest["calibration"] != untuned["calibration"]
    response = Searcher(small_index_dir).search("which ways of paying does the shop support")
    assert response.results[0].id == "en-payment-methods"
