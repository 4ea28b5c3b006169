import numpy as np

from kb.search import calibration, fusion


def test_article_max_takes_the_best_row_of_each_article():
    rows = np.array([0.1, 0.9, 0.3, 0.2, 0.8])
    starts = np.array([0, 2, 3])  # articles own rows [0,1], [2], [3,4]
    assert fusion.article_max(rows, starts, 5).tolist() == [0.9, 0.3, 0.8]


def test_english_only_encoder_counts_only_for_english_pairs():
    langs = np.array(["en", "ru"])
    weights = fusion.encoder_weights(["minilm", "e5"], "en", langs)
    assert weights["minilm"].tolist() == [1.0, 0.0] and weights["e5"].tolist() == [1.0, 1.0]
    fused = fusion.fuse_semantic({"minilm": np.array([0.2, 0.9]), "e5": np.array([0.8, 0.6])}, weights)
    assert np.allclose(fused, [0.5, 0.6])  # MiniLM's 0.9 on a Russian article is ignored
    assert not fusion.encoder_weights(["minilm"], "ru", langs)["minilm"].any()


def test_all_equal_scores_survive_fusion():
    semantic = np.full(4, 0.7)
    probabilities = fusion.softmax(np.zeros(4))
    assert np.allclose(probabilities, 0.25)
    ranked = fusion.rank_scores(semantic, probabilities, np.zeros(4))
    assert np.isfinite(ranked).all() and np.allclose(ranked, ranked[0])
    assert fusion.normalise_keyword(np.zeros(3)).tolist() == [0, 0, 0]


def test_a_code_in_the_question_counts_more_than_a_name():
    names, codes = np.array([2.0, 4.0, 0.0]), np.array([3.0, 0.0, 0.0])  # BM25 per article
    evidence = fusion.keyword_evidence(names, codes)
    assert evidence.argmax() == 0 and evidence[2] == 0
    assert not fusion.keyword_evidence(np.zeros(3), np.zeros(3)).any()


def test_classifier_probability_can_reorder_close_cosines():
    semantic = np.array([0.80, 0.79])
    assert fusion.rank_scores(semantic, np.array([0.1, 0.9]), None).argmax() == 1


def test_threshold_separates_the_two_samples():
    answerable = np.array([0.8, 0.85, 0.9, 0.95])
    unanswerable = np.array([0.5, 0.6, 0.65, 0.7])
    threshold = calibration.best_threshold(answerable, unanswerable)
    assert 0.7 < threshold <= 0.8
    assert calibration.best_threshold(np.full(3, 0.5), np.full(3, 0.5)) == 0.5


def test_confidence_is_half_at_the_threshold_and_monotone():
    steep = calibration.slope(np.array([0.85, 0.9, 0.95]), np.array([0.6, 0.7, 0.75]))
    assert steep > 1
    assert calibration.confidence(0.8, 0.8, steep) == 0.5
    values = [calibration.confidence(s, 0.8, steep) for s in (0.0, 0.5, 0.79, 0.81, 1.0)]
    assert values == sorted(values) and all(0 <= v <= 1 for v in values)
    assert values[-1] > 0.9 and values[0] < 0.1


def test_which_encoders_embed_a_question():
    encoders = ["minilm", "use", "e5"]
    assert fusion.query_encoders(encoders, "en") == ["minilm", "use"]  # MiniLM makes e5 redundant
    assert fusion.query_encoders(encoders, "ru") == ["use", "e5"]  # MiniLM knows no Russian
    assert fusion.query_encoders(["use", "e5"], "en") == ["use", "e5"]
    assert fusion.query_encoders(["minilm"], "ru") == ["minilm"]  # an English-only index still answers


def test_ngram_evidence_only_for_questions_without_an_encoder_of_their_own():
    assert fusion.uses_ngrams(["use", "e5"]) and not fusion.uses_ngrams(["minilm", "use"])
