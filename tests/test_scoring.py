"""The one scoring function (kb.search.scoring.score): from an Evidence record to rank and confidence."""
import numpy as np

from kb.search import calibration, scoring
from kb.search.encoders import question_encoders, question_sets
from kb.search.scoring import Evidence

LANGS = np.array(["ru", "en", "ru"])
# threshold and slope for articles in the question's language, and for the others
CALIBRATION = ((0.8, 10.0), (0.7, 10.0))


def test_article_max_takes_the_best_row_of_each_article():
    rows = np.array([0.1, 0.9, 0.3, 0.2, 0.8])
    starts = np.array([0, 2, 3])  # articles own rows [0,1], [2], [3,4]
    assert calibration.article_max(rows, starts, 5).tolist() == [0.9, 0.3, 0.8]


def test_english_only_encoder_counts_only_for_english_pairs():
    langs = np.array(["en", "ru"])
    weights = scoring.encoder_weights(["minilm", "e5"], "en", langs)
    assert weights["minilm"].tolist() == [1.0, 0.0] and weights["e5"].tolist() == [1.0, 1.0]
    fused = scoring.fuse_semantic({"minilm": np.array([0.2, 0.9]), "e5": np.array([0.8, 0.6])}, weights)
    assert np.allclose(fused, [0.5, 0.6])  # MiniLM's 0.9 on a Russian article is ignored
    assert not scoring.encoder_weights(["minilm"], "ru", langs)["minilm"].any()


def test_all_equal_scores_survive_scoring():
    evidence = Evidence("ru", LANGS, {"e5": np.full(3, 0.7)}, logits=np.zeros(3), ngrams=np.zeros(3),
                        names=np.zeros(3), exact=np.zeros(3), codes=np.zeros(3))
    scores = scoring.score(evidence, CALIBRATION, topic=np.arange(3))
    for values in (scores.rank, scores.uncalibrated, scores.confidence):
        assert np.isfinite(values).all()
    assert np.allclose(scores.rank, scores.rank[0])  # nothing tells the articles apart
    same = LANGS == "ru"
    assert np.allclose(scores.confidence[same], scores.confidence[same][0])
    assert (0 <= scores.confidence).all() and (scores.confidence <= 1).all()
    assert scoring.normalise_keyword(np.zeros(3)).tolist() == [0, 0, 0]


def test_each_signal_adds_to_the_rank_by_its_weight():
    similarity = {"e5": np.array([0.8, 0.5, 0.3])}
    plain = scoring.score(Evidence("ru", LANGS, similarity)).rank
    assert np.allclose(plain, [0.8, 0.5, 0.3])
    logits = np.array([0.0, 5.0, 0.0])
    with_classifier = scoring.score(Evidence("ru", LANGS, similarity, logits=logits)).rank
    assert np.allclose(with_classifier - plain, scoring.CLASSIFIER_WEIGHT * scoring.softmax(logits))
    ngrams = np.array([-3.0, -1.0, -2.0])
    with_ngrams = scoring.score(Evidence("ru", LANGS, similarity, ngrams=ngrams)).rank
    assert np.allclose(with_ngrams - plain, scoring.NGRAM_WEIGHT * scoring.softmax(ngrams))


def test_the_classifier_can_reorder_close_similarities_but_not_the_confidence_across_languages():
    evidence = Evidence("ru", LANGS, {"e5": np.array([0.80, 0.79, 0.1])}, logits=np.array([0.0, 9.0, 0.0]))
    scores = scoring.score(evidence)
    assert scores.rank.argmax() == 1
    # the English article gets no probability in its confidence: the classifier knows Russian articles only
    assert scores.uncalibrated[1] < scores.uncalibrated[0]


def test_an_exact_token_ranks_and_a_code_lifts_the_confidence():
    similarity = {"e5": np.array([0.2, 0.5, 0.3])}
    names, exact, codes = np.array([2.0, 4.0, 0.0]), np.array([3.0, 0.0, 0.0]), np.array([3.0, 0.0, 0.0])
    scores = scoring.score(Evidence("ru", LANGS, similarity, names=names, exact=exact, codes=codes), CALIBRATION)
    assert scores.rank.argmax() == 0  # the exact token counts more than the name and the meaning
    assert scores.confidence[0] == scoring.CODE_CONFIDENCE  # below the line by similarity, lifted by its code
    # a rare name is exact but no code: it ranks only
    scores = scoring.score(Evidence("ru", LANGS, similarity, names=names, exact=exact, codes=np.zeros(3)), CALIBRATION)
    assert scores.rank.argmax() == 0 and scores.confidence[0] < 0.5


def test_names_count_only_without_ngram_evidence():
    names, exact = np.array([0.0, 4.0, 0.0]), np.zeros(3)
    similarity = {"e5": np.array([0.5, 0.5, 0.5])}
    with_names = scoring.score(Evidence("ru", LANGS, similarity, names=names, exact=exact)).rank
    assert np.isclose(with_names[1] - with_names[0], scoring.KEYWORD_WEIGHT)
    with_ngrams = scoring.score(Evidence("ru", LANGS, similarity, ngrams=np.zeros(3), names=names, exact=exact)).rank
    assert np.allclose(with_ngrams, with_ngrams[0])


def test_confidence_is_calibrated_per_language_and_raised_to_the_topics_best():
    similarity = {"e5": np.array([0.6, 0.9, 0.3])}  # article 1 translates article 0
    scores = scoring.score(Evidence("ru", LANGS, similarity), CALIBRATION, topic=np.array([0, 0, 2]))
    across = scoring.calibrated(0.9 + scores.uncalibrated[1] - 0.9, *CALIBRATION[1])
    assert np.isclose(scores.confidence[1], across) and scores.confidence[0] == scores.confidence[1]
    assert scores.confidence[2] < 0.5
    assert scoring.score(Evidence("ru", LANGS, similarity)).confidence is None  # the calibration's own use


def test_confidence_is_half_at_the_threshold_and_monotone():
    steep = calibration.slope(np.array([0.85, 0.9, 0.95]), np.array([0.6, 0.7, 0.75]))
    assert steep > 1
    assert scoring.calibrated(0.8, 0.8, steep) == 0.5
    values = [scoring.calibrated(s, 0.8, steep) for s in (0.0, 0.5, 0.79, 0.81, 1.0)]
    assert values == sorted(values) and all(0 <= v <= 1 for v in values)
    assert values[-1] > 0.9 and values[0] < 0.1


def test_threshold_separates_the_two_samples():
    answerable = np.array([0.8, 0.85, 0.9, 0.95])
    unanswerable = np.array([0.5, 0.6, 0.65, 0.7])
    threshold = calibration.best_threshold(answerable, unanswerable)
    assert 0.7 < threshold <= 0.8
    assert calibration.best_threshold(np.full(3, 0.5), np.full(3, 0.5)) == 0.5


def test_which_encoders_embed_a_question():
    encoders = ["minilm", "use", "e5"]
    assert question_encoders(encoders, "en") == ["minilm", "use"]  # MiniLM makes e5 redundant
    assert question_encoders(encoders, "ru") == ["use", "e5"]  # MiniLM knows no Russian
    assert question_encoders(["use", "e5"], "en") == ["use", "e5"]
    assert question_encoders(["minilm"], "ru") == ["minilm"]  # an English-only index still answers
    assert question_sets(encoders) == {"multi": ["use", "e5"], "en": ["minilm", "use"]}
