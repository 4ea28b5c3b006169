"""Pure functions that turn per-encoder similarities into one ranking score per article.

Kept free of I/O so they are unit-tested on their own, including all-equal scores.
"""
from __future__ import annotations

import numpy as np

from kb.search.encoders import (
    CROSS_LANGUAGE_SHIFT,
    ENCODER_WEIGHTS,
    ENGLISH_ONLY,
    REDUNDANT_FOR_ENGLISH,
)

# How much the classifier's probability adds to the fused cosine when ranking (docs/quality.md).
CLASSIFIER_WEIGHT = 1.0
# How much keyword evidence adds (`keyword_evidence`), each as a share of the question's best BM25
# (kb.search.keywords). Over every term it added nothing on the banking sets beyond the encoders and
# n-grams, and from 0.1 on cost top1 and auroc on banking-en. Over the terms the articles write as
# names (SMS, PIN, ТурбоДоставка, chargeback in Russian text) 0.15 adds 0.004 top1 on banking-en
# (auroc +0.0001), but on banking-ru, where character n-grams already match names spelled alike,
# every weight from 0.05 to 0.5 cost a query or two: names count only where n-grams are not used.
# A code (letters and digits: E-4012, ПРИВЕТ500) names exactly what it means and counts fully: the
# article that contains the question's code comes first unless the meaning points elsewhere by more
# than 1.0 (the banking sets hold no codes). Both rank only: the confidence stays the calibrated
# similarity of the article that comes first.
KEYWORD_WEIGHT = 0.15
CODE_WEIGHT = 1.0
# An article that holds the question's code (letters and digits) answers it at least this surely:
# over the no-match line (0.5), under what a close phrasing earns.
EXACT_MATCH_CONFIDENCE = 0.6
# How much character n-gram evidence (kb.search.ngrams) adds for a question that no encoder of its own
# language embeds: +0.022 top1 on banking-ru, +0.004 on banking-xling (names and numbers written
# alike in both languages); on English questions, next to MiniLM, it cost 0.005 (docs/quality.md).
# It ranks only: in the confidence it lowered auroc.
NGRAM_WEIGHT = 0.5
# An answer passage matches a question less directly than a known phrasing does.
PASSAGE_PENALTY = 0.1


def article_max(row_scores: np.ndarray, row_starts: np.ndarray, n_rows: int) -> np.ndarray:
    """Best row score per article; rows are stored grouped by article, `row_starts` marks each group.

    Works on one query (1-D) or many (2-D, one query a row).
    """
    if n_rows == 0:
        return np.zeros(row_scores.shape[:-1] + (0,), np.float32)
    return np.maximum.reduceat(row_scores, row_starts, axis=-1)


def query_encoders(encoders, query_lang: str) -> list[str]:
    """The encoders that embed a question in this language, in index order.

    English-only encoders serve English questions only; an English question with one of them at
    hand skips the encoders it makes redundant. An index of English-only encoders answers anyway.
    """
    encoders = list(encoders)
    if query_lang == "en":
        english = any(e in ENGLISH_ONLY for e in encoders)
        return [e for e in encoders if not (english and e in REDUNDANT_FOR_ENGLISH)]
    return [e for e in encoders if e not in ENGLISH_ONLY] or encoders


def question_set(query_lang: str, sets) -> str:
    """Which encoder set (and so which classifier and calibration) serves a question in this
    language: `en` for English when the index has one, else `multi`."""
    if query_lang == "en" and "en" in sets:
        return "en"
    return "multi" if "multi" in sets else next(iter(sets), "multi")


def encoder_weights(encoders, query_lang: str, article_langs: np.ndarray) -> dict[str, np.ndarray]:
    """Weight of each encoder for each article, given the question's language.

    English-only encoders count only for an English question against an English article.
    """
    english_pair = (article_langs == "en") & (query_lang == "en")
    weights = {}
    for name in encoders:
        weight = ENCODER_WEIGHTS.get(name, 1.0)
        weights[name] = np.where(english_pair, weight, 0.0) if name in ENGLISH_ONLY else np.full(len(article_langs), weight)
    return weights


def fuse_semantic(per_encoder: dict[str, np.ndarray], weights: dict[str, np.ndarray]) -> np.ndarray:
    """Weighted mean of the encoders' similarities, per article."""
    total = sum(weights[name] for name in per_encoder)
    fused = sum(weights[name] * scores for name, scores in per_encoder.items())
    return fused / np.maximum(total, 1e-9)


def cross_language_shift(encoders) -> float:
    """How much lower these encoders' fused similarity runs when question and article are in
    different languages (measured once per encoder, kb/search/encoders.py)."""
    total = sum(ENCODER_WEIGHTS.get(n, 1.0) for n in encoders if n not in ENGLISH_ONLY)
    shifted = sum(ENCODER_WEIGHTS.get(n, 1.0) * CROSS_LANGUAGE_SHIFT.get(n, 0.0)
                  for n in encoders if n not in ENGLISH_ONLY)
    return shifted / total if total else 0.0


def confidence_scores(semantic: np.ndarray, logits: np.ndarray | None, article_langs: np.ndarray,
                      query_lang: str, shift: float) -> np.ndarray:
    """Per article, the score that confidence is calibrated from.

    An article in the question's language: the fused similarity plus the classifier's probability
    among the articles of that language (so that translations of one article do not split it).
    An article in another language: the similarity alone, raised by the encoders' cross-language
    shift; the classifier, trained on the articles' own language, has no cross-language reference.
    One question (1-D) or many (2-D); the calibration scores its simulated questions with this too.
    """
    same = article_langs == query_lang
    score = np.where(same, semantic, semantic + shift).astype(np.float64)
    if logits is not None and same.any():
        score[..., same] += CLASSIFIER_WEIGHT * softmax(logits[..., same])
    return score


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def normalise_keyword(keyword: np.ndarray) -> np.ndarray:
    """BM25 scores as a share of the query's best, so their scale does not depend on the query."""
    top = float(keyword.max()) if len(keyword) else 0.0
    return keyword / top if top > 0 else np.zeros_like(keyword)


def keyword_evidence(names: np.ndarray, codes: np.ndarray, with_names: bool = True) -> np.ndarray:
    """What keywords add to an article's ranking score, from the BM25 of the question's codes and,
    `with_names` (where no n-gram evidence is used), of its names."""
    evidence = CODE_WEIGHT * normalise_keyword(codes)
    return evidence + KEYWORD_WEIGHT * normalise_keyword(names) if with_names else evidence


def exact_match_confidence(exact: np.ndarray) -> np.ndarray:
    """The confidence a code alone gives: EXACT_MATCH_CONFIDENCE to the articles that match the
    question's codes best (`exact`: their BM25), nothing to the others or when it has none."""
    return np.where(normalise_keyword(exact) >= 0.999, EXACT_MATCH_CONFIDENCE, 0.0)


def uses_ngrams(question_encoders) -> bool:
    """Character n-grams help where every encoder of the question is a multilingual one."""
    return not any(name in ENGLISH_ONLY for name in question_encoders)


def rank_scores(semantic: np.ndarray, probabilities: np.ndarray | None, keyword: np.ndarray | None,
                ngrams: np.ndarray | None = None) -> np.ndarray:
    score = semantic.astype(np.float64)
    if probabilities is not None:
        score = score + CLASSIFIER_WEIGHT * probabilities
    if ngrams is not None:
        score = score + NGRAM_WEIGHT * ngrams
    if keyword is not None:
        score = score + keyword
    return score
