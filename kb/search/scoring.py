"""The one scoring function: from each encoder's best similarity per article (and the classifier's
logits, the n-gram model's evidence) to the fused similarity, the ranking score and the score that
confidence is calibrated from.

A search calls it for one question; the calibration folds (`kb.search.calibration`) call it for
thousands of simulated ones at once, so what is calibrated is exactly what is searched.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kb.search import fusion
from kb.search.encoders import ENGLISH_ONLY


@dataclass
class Scores:
    """Per article (1-D for one question, 2-D with a row per question)."""

    semantic: np.ndarray  # the encoders' similarities, fused
    rank: np.ndarray  # what orders the results
    evidence: np.ndarray  # what the calibrated confidence is computed from


def score_articles(per_encoder: dict[str, np.ndarray], article_langs: np.ndarray, query_lang: str, *,
                   logits: np.ndarray | None = None, shift: float = 0.0, ngrams: np.ndarray | None = None,
                   keyword: np.ndarray | None = None) -> Scores:
    """`per_encoder`: each encoder's best similarity per article for the question(s) in `query_lang`;
    `logits`: the classifier's, per article; `shift`: the encoders' cross-language shift (see
    `fusion.confidence_scores`); `ngrams`: the n-gram model's log-likelihoods; `keyword`: what keywords add
    (`fusion.keyword_evidence`)."""
    semantic = fusion.fuse_semantic(per_encoder, fusion.encoder_weights(per_encoder, query_lang, article_langs))
    probabilities = None if logits is None else fusion.softmax(logits)
    ngram_share = None if ngrams is None else fusion.softmax(ngrams)
    return Scores(semantic=semantic,
                  rank=fusion.rank_scores(semantic, probabilities, keyword, ngram_share),
                  evidence=fusion.confidence_scores(semantic, logits, article_langs, query_lang, shift))


def multilingual_semantic(per_encoder: dict[str, np.ndarray], article_langs: np.ndarray, query_lang: str) -> np.ndarray:
    """The fused similarity of the multilingual encoders alone: how an article in another language
    than the question's is compared (an English-only encoder cannot)."""
    names = [n for n in per_encoder if n not in ENGLISH_ONLY] or list(per_encoder)
    return score_articles({n: per_encoder[n] for n in names}, article_langs, query_lang).semantic
