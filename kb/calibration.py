"""Turning similarity into a confidence, learnt from the knowledge base alone.

Real teams have no labelled "no match" questions, so the threshold is found by playing both
sides with the articles' own phrasings: a phrasing left out must still find its own article
(an answerable question); the phrasings of an article left out must find nothing (a question
with no article). The threshold that best separates the two, weighing both sides equally so
that no mix of questions is assumed, becomes the point where confidence is 0.5.
"""
from __future__ import annotations

import math

import numpy as np


def best_threshold(answerable: np.ndarray, unanswerable: np.ndarray) -> float:
    """The score that maximises balanced accuracy between the two samples.

    Scores at or above the threshold answer; below it, "no match".
    """
    answerable, unanswerable = np.sort(answerable), np.sort(unanswerable)
    if len(answerable) == 0 or len(unanswerable) == 0:
        return 0.5
    candidates = np.unique(np.concatenate([answerable, unanswerable]))
    kept = 1.0 - np.searchsorted(answerable, candidates, side="left") / len(answerable)
    rejected = np.searchsorted(unanswerable, candidates, side="left") / len(unanswerable)
    balanced = kept + rejected
    best = np.flatnonzero(balanced == balanced.max())
    i = best[len(best) // 2]  # the middle of a plateau of equally good thresholds
    return float((candidates[i - 1] + candidates[i]) / 2) if i > 0 else float(candidates[0])


def slope(answerable: np.ndarray, unanswerable: np.ndarray) -> float:
    """Steepness of the confidence curve: a logistic fit (Platt scaling) weighing both sides equally."""
    from sklearn.linear_model import LogisticRegression

    if len(answerable) == 0 or len(unanswerable) == 0:
        return 10.0
    scores = np.concatenate([answerable, unanswerable])[:, None]
    labels = np.concatenate([np.ones(len(answerable)), np.zeros(len(unanswerable))])
    fit = LogisticRegression(C=100.0, class_weight="balanced").fit(scores, labels)
    return float(max(fit.coef_[0][0], 1.0))


def confidence(score: float, threshold: float, steepness: float) -> float:
    """A number in [0, 1]; 0.5 exactly at the threshold, monotone in the score."""
    x = max(-50.0, min(50.0, steepness * (score - threshold)))
    return 1.0 / (1.0 + math.exp(-x))
