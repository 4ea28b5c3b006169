"""The no-match calibration learnt from a knowledge base's own phrasings (kb.search.calibration)."""
import numpy as np

from kb.search import calibration, scoring
from kb.search.encoders import cross_language_shift


def clustered_kb(n_articles=20, per_article=5, dim=32, spread=0.35, seed=1):
    """Unit vectors in clusters, one per article: a stand-in for embedded phrasings."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_articles, dim))
    rows = np.repeat(centres, per_article, axis=0) + spread * rng.normal(size=(n_articles * per_article, dim)) * np.sqrt(dim) / 4
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows.astype(np.float32), np.repeat(np.arange(n_articles), per_article)


def test_threshold_falls_between_answerable_and_unanswerable_scores():
    vectors, owners = clustered_kb()
    langs = np.array(["en"] * 20)
    learnt = calibration.learn({"use": vectors}, owners, langs, {"multi": ["use"]}, with_classifier=True)
    multi = learnt["sets"]["multi"]
    assert multi["answerable"] > 50 and multi["unanswerable"] > 50
    # a phrasing of a known article scores its own cluster; one of an unknown article only a stranger
    own = float((vectors[0] @ vectors[1:5].T).max()) + 1.0  # similarity + a confident classifier
    stranger = float((vectors[0] @ vectors[5:].T).max())
    assert stranger < multi["threshold"] < own
    assert stranger < multi["across"]["threshold"] < own - 1.0
    assert multi["slope"] > 1


def test_each_language_is_calibrated_against_its_own_articles():
    """A translation of a left-out article must not count as its answer (the sample KB's twins)."""
    vectors, owners = clustered_kb(n_articles=10)
    twins = np.vstack([vectors, vectors + 0.01])  # every article again, in Russian
    twins /= np.linalg.norm(twins, axis=1, keepdims=True)
    langs = np.array(["en"] * 10 + ["ru"] * 10)
    learnt = calibration.learn({"use": twins}, np.concatenate([owners, owners + 10]), langs,
                               {"multi": ["use"]}, with_classifier=False)
    own = float((twins[0] @ twins[1:5].T).max())  # its siblings in its own language
    stranger = float((twins[0] @ twins[5:10].T).max())
    assert stranger < learnt["sets"]["multi"]["threshold"] < own
    # twins counted as answers made both samples alike: the curve went flat (slope 1, docs/quality.md)
    assert learnt["sets"]["multi"]["slope"] > 5


def test_confidence_scores_keep_translations_from_splitting_the_probability():
    langs = np.array(["ru", "en", "ru"])
    semantic = np.array([0.8, 0.8, 0.3])
    logits = np.array([5.0, 5.0, 0.0])  # an article and its translation, equally likely
    scores = scoring.confidence_scores(semantic, logits, langs, "ru", shift=0.05)
    assert scores[0] > 0.8 + 0.99  # the Russian article keeps its probability among Russian articles
    assert np.isclose(scores[1], 0.85)  # the English one: similarity and the cross-language shift only
    assert scores[2] < 0.31


def test_cross_language_shift_counts_multilingual_encoders_only():
    assert cross_language_shift(["minilm"]) == 0.0
    shift = cross_language_shift(["e5", "use"])
    assert 0 < shift < 0.1
    assert cross_language_shift(["minilm", "e5", "use"]) == shift


def test_a_language_with_one_article_borrows_the_others_phrasings():
    """One English article among Russian ones: English questions still get a learnt threshold."""
    vectors, owners = clustered_kb(n_articles=12)
    langs = np.array(["ru"] * 11 + ["en"])
    sets = {"multi": ["use"], "en": ["minilm"]}
    learnt = calibration.learn({"use": vectors, "minilm": vectors}, owners, langs, sets, with_classifier=True)
    english = learnt["sets"]["en"]
    assert english["unanswerable"] > 0 and english["answerable"] > 0
    stranger = float((vectors[0] @ vectors[5:].T).max())
    assert stranger + 1.0 / 11 < english["threshold"]  # a stranger with an even share of probability is turned away
