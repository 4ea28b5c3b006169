"""The one scoring function: from what the signals found (an `Evidence` record) to each article's
ranking score and calibrated confidence.

A search calls it for one question; the calibration folds (`kb.search.calibration`) call it for
thousands of simulated ones at once, so what is calibrated is exactly what is searched. Pure:
unit-tested on its own, including all-equal scores.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kb.search.encoders import cross_language_shift, encoder

# How much the classifier's probability adds to the fused cosine when ranking (docs/quality.md).
CLASSIFIER_WEIGHT = 1.0
# How much keyword evidence adds (`keyword_evidence`), each as a share of the question's best BM25
# (kb.search.signals.keywords). Over every term it added nothing on the banking sets beyond the
# encoders and n-grams, and from 0.1 on cost top1 and auroc on banking-en. Over the terms the articles
# write as names (SMS, PIN, ТурбоДоставка, chargeback in Russian text) 0.15 adds 0.004 top1 on
# banking-en (auroc +0.0001), but on banking-ru, where character n-grams already match names spelled
# alike, every weight from 0.05 to 0.5 cost a query or two: names count only where n-grams are not used.
# An exact token (a code of letters and digits: E-4012, ПРИВЕТ500; or a name so rare that it points
# at one topic) names exactly what it means and counts fully: the article that contains it comes
# first unless the meaning points elsewhere by more than 1.0 (the banking sets hold no codes). Both
# rank only: the confidence stays the calibrated similarity of the article that comes first.
KEYWORD_WEIGHT = 0.15
EXACT_WEIGHT = 1.0
# An article that holds the question's code (letters and digits) answers it at least this surely:
# over the no-match line (0.5), under what a close phrasing earns. The calibration never sees a code
# (its simulated questions are the articles' own phrasings). A rare name only ranks: "Visa" in a
# question the articles do not answer still names the card article.
CODE_CONFIDENCE = 0.6
# How much character n-gram evidence (kb.search.signals.ngrams) adds for a question that no encoder
# of its own language embeds: +0.022 top1 on banking-ru, +0.004 on banking-xling (names and numbers
# written alike in both languages); on English questions, next to MiniLM, it cost 0.005
# (docs/quality.md). It ranks only: in the confidence it lowered auroc.
NGRAM_WEIGHT = 0.5


@dataclass
class Evidence:
    """What the signals found for a question in `lang`, one number per article (1-D), or for many
    questions in that language (2-D, a row per question: the calibration's simulated ones)."""

    lang: str
    article_langs: np.ndarray
    similarity: dict[str, np.ndarray] = field(default_factory=dict)  # per encoder that embedded it
    closest: dict[str, np.ndarray] = field(default_factory=dict)  # per encoder: each article's closest phrasing row
    logits: np.ndarray | None = None  # the classifier's
    ngrams: np.ndarray | None = None  # the character n-grams' log-likelihoods
    names: np.ndarray | None = None  # BM25 of the question's terms the articles write as names or codes
    exact: np.ndarray | None = None  # ... of its exact tokens: codes and rare names
    codes: np.ndarray | None = None  # ... of its codes

    def add(self, found: dict):
        """A signal's findings (`Signal.evidence`): its fields, or entries of the per-encoder ones."""
        for name, value in found.items():
            if isinstance(value, dict):
                getattr(self, name).update(value)
            else:
                setattr(self, name, value)


@dataclass
class Scores:
    """Per article (1-D for one question, 2-D with a row per question)."""

    semantic: np.ndarray  # the encoders' similarities, fused
    rank: np.ndarray  # what orders the results
    uncalibrated: np.ndarray  # what the confidence is calibrated from
    confidence: np.ndarray | None = None  # calibrated, when a calibration is given


def score(evidence: Evidence, calibration=None, topic: np.ndarray | None = None) -> Scores:
    """The ranking score of every article, what its confidence is calibrated from and, given the
    `calibration` of the question's encoder set (threshold and slope for articles in the question's
    language and for the others), its confidence; with each article's `topic`, the confidence is
    its topic's best."""
    langs, lang = evidence.article_langs, evidence.lang
    semantic = fuse_semantic(evidence.similarity, encoder_weights(evidence.similarity, lang, langs))
    rank = semantic.astype(np.float64)
    if evidence.logits is not None:
        rank = rank + CLASSIFIER_WEIGHT * softmax(evidence.logits)
    if evidence.ngrams is not None:
        rank = rank + NGRAM_WEIGHT * softmax(evidence.ngrams)
    if evidence.exact is not None:
        rank = rank + keyword_evidence(evidence.names, evidence.exact, with_names=evidence.ngrams is None)
    uncalibrated = confidence_scores(semantic, evidence.logits, langs, lang, cross_language_shift(evidence.similarity))
    scores = Scores(semantic=semantic, rank=rank, uncalibrated=uncalibrated)
    if calibration is not None:
        (same, across) = calibration
        confidence = np.where(langs == lang, calibrated(uncalibrated, *same), calibrated(uncalibrated, *across))
        if evidence.codes is not None:
            confidence = np.maximum(confidence, code_confidence(evidence.codes))
        scores.confidence = confidence if topic is None else topic_confidence(confidence, topic)
    return scores


def encoder_weights(encoders, query_lang: str, article_langs: np.ndarray) -> dict[str, np.ndarray]:
    """Weight of each encoder for each article, given the question's language: an encoder of some
    languages only counts where it understands both the question and the article."""
    weights = {}
    for name in encoders:
        kind = encoder(name)
        if kind.languages is None:
            weights[name] = np.full(len(article_langs), kind.weight)
        else:
            understood = np.isin(article_langs, list(kind.languages)) & (query_lang in kind.languages)
            weights[name] = np.where(understood, kind.weight, 0.0)
    return weights


def fuse_semantic(per_encoder: dict[str, np.ndarray], weights: dict[str, np.ndarray]) -> np.ndarray:
    """Weighted mean of the encoders' similarities, per article."""
    total = sum(weights[name] for name in per_encoder)
    fused = sum(weights[name] * scores for name, scores in per_encoder.items())
    return fused / np.maximum(total, 1e-9)


def confidence_scores(semantic: np.ndarray, logits: np.ndarray | None, article_langs: np.ndarray,
                      query_lang: str, shift: float) -> np.ndarray:
    """Per article, the score that confidence is calibrated from.

    An article in the question's language: the fused similarity plus the classifier's probability
    among the articles of that language (so that translations of one article do not split it).
    An article in another language: the similarity alone, raised by the encoders' cross-language
    shift; the classifier, trained on the articles' own language, has no cross-language reference.
    """
    same = article_langs == query_lang
    score = np.where(same, semantic, semantic + shift).astype(np.float64)
    if logits is not None and same.any():
        score[..., same] += CLASSIFIER_WEIGHT * softmax(logits[..., same])
    return score


def calibrated(score, threshold: float, steepness: float):
    """A number in [0, 1] (or an array of them); 0.5 exactly at the threshold, monotone in the score."""
    x = np.clip(steepness * (np.asarray(score, dtype=np.float64) - threshold), -50.0, 50.0)
    out = 1.0 / (1.0 + np.exp(-x))
    return float(out) if out.ndim == 0 else out


def topic_confidence(confidence: np.ndarray, topic: np.ndarray) -> np.ndarray:
    """Each article's confidence raised to its topic's best: a translation answers a question as
    well as its original does (a Russian question often matches the English wording better)."""
    best = np.zeros(topic.max() + 1 if len(topic) else 0)
    np.maximum.at(best, topic, confidence)
    return best[topic]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def normalise_keyword(keyword: np.ndarray) -> np.ndarray:
    """BM25 scores as a share of the query's best, so their scale does not depend on the query."""
    top = float(keyword.max()) if len(keyword) else 0.0
    return keyword / top if top > 0 else np.zeros_like(keyword)


def keyword_evidence(names: np.ndarray, exact: np.ndarray, with_names: bool = True) -> np.ndarray:
    """What keywords add to an article's ranking score, from the BM25 of the question's exact tokens
    and, `with_names` (where no n-gram evidence is used), of its names."""
    evidence = EXACT_WEIGHT * normalise_keyword(exact)
    return evidence + KEYWORD_WEIGHT * normalise_keyword(names) if with_names else evidence


def code_confidence(codes: np.ndarray) -> np.ndarray:
    """The confidence a code alone gives: CODE_CONFIDENCE to the articles that match the question's
    codes best (`codes`: their BM25), nothing to the others or when it has none."""
    return np.where(normalise_keyword(codes) >= 0.999, CODE_CONFIDENCE, 0.0)
