"""Turning a question's best score into a confidence, learnt from the knowledge base alone.

Real teams have no labelled "no match" questions, so `kb index` plays both sides with the
articles' own phrasings, in folds: each fold leaves one phrasing of every article out (an
answerable question: it must find its own article first) and every phrasing of a fifth of the
articles out (questions with no article: they must find nothing), retrains the classifier on
what is left, and scores the left-out phrasings exactly as a search would. The threshold that
best separates the two samples, weighing both equally so that no mix of questions is assumed,
becomes the point where confidence is 0.5.

A question is only ever compared with articles in its own language here; a question in another
language than the articles gets the encoders' measured cross-language shift instead
(each encoder's `shift`, kb.search.encoders), because a knowledge base in one language holds no
cross-language phrasings to learn from.
"""
from __future__ import annotations

import numpy as np

from kb.search import scoring
from kb.search.encoders import encoder, question_set
from kb.search.scoring import Evidence

FOLDS = 5
SAMPLE = 3000  # simulated questions per encoder set; enough for a stable estimate
VERSION = 4  # 4: folds with the classifier; per encoder set; same- and cross-language


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


def learn(phrase_vectors: dict[str, np.ndarray], phrase_article: np.ndarray, article_langs: np.ndarray,
          sets: dict[str, list[str]], with_classifier: bool, seed: int = 0) -> dict:
    """Threshold and slope for each encoder set (see `kb.search.encoders.question_set`), from the
    folds: one pair for articles in the question's language (similarity and probability), one for
    articles in another (similarity alone, see `kb.search.scoring.confidence_scores`)."""
    from kb.search.signals import classifier

    phrase_langs = article_langs[phrase_article]
    asked = np.array([question_set(lang, sets) for lang in phrase_langs])
    learnt = {}
    for set_name, names in sets.items():
        x = classifier.features(phrase_vectors, names) if with_classifier else None
        answerable, unanswerable = _simulate(phrase_vectors, names, x, phrase_article, article_langs,
                                             asked == set_name, np.random.default_rng(seed))
        if len(answerable) == 0 or len(unanswerable) == 0:
            # Too few articles in the set's languages to play both sides (no Russian ones, or a
            # single English one): every phrasing stands in, each against its own language.
            answerable, unanswerable = _simulate(phrase_vectors, names, x, phrase_article, article_langs,
                                                 np.ones(len(phrase_article), bool), np.random.default_rng(seed))
        learnt[set_name] = {
            "threshold": best_threshold(answerable[:, 1], unanswerable[:, 1]),
            "slope": slope(answerable[:, 1], unanswerable[:, 1]),
            "across": {"threshold": best_threshold(answerable[:, 0], unanswerable[:, 0]),
                       "slope": slope(answerable[:, 0], unanswerable[:, 0])},
            "answerable": len(answerable), "unanswerable": len(unanswerable)}
    return {"version": VERSION, "sets": learnt}


def _simulate(phrase_vectors, names, x, phrase_article, article_langs, questions, rng):
    """Best scores of simulated answerable questions (that found their article) and of unanswerable
    ones: one row each, the similarity alone and with the classifier's probability."""
    from kb.search.signals import classifier

    n_articles = len(article_langs)
    counts = np.bincount(phrase_article, minlength=n_articles)
    starts = np.searchsorted(phrase_article, np.arange(n_articles))
    position = np.arange(len(phrase_article)) - starts[phrase_article]
    group = rng.permutation(n_articles) % FOLDS
    per_fold = max(1, SAMPLE // (2 * FOLDS))
    answerable, unanswerable = [], []
    for fold in range(FOLDS):
        left_out = (group == fold)[phrase_article]
        held = ~left_out & (position == fold % np.maximum(counts[phrase_article], 1))
        train = ~left_out & ~held
        if not train.any() or not (questions & (held | left_out)).any():
            continue  # nothing to learn from, or nobody to ask: spare the classifier's training
        kept = np.unique(phrase_article[train])  # the articles this fold's index still has
        column = np.full(n_articles, -1)
        column[kept] = np.arange(len(kept))
        labels = column[phrase_article[train]]
        model = classifier.train(x[train], labels) if x is not None and len(kept) > 1 else None
        for rows, out in ((held & questions, answerable), (left_out & questions, unanswerable)):
            rows = np.flatnonzero(rows)
            if len(rows) > per_fold:
                rows = np.sort(rng.choice(rows, per_fold, replace=False))
            for lang in np.unique(article_langs[phrase_article[rows]]):
                asked = rows[article_langs[phrase_article[rows]] == lang]
                for chunk in np.array_split(asked, max(1, len(asked) // 256)):
                    logits = None if model is None else x[chunk] @ model[0] + model[1]
                    across, scores = _fold_scores(phrase_vectors, names, chunk, train, labels,
                                                    article_langs[kept], lang, logits)
                    best = np.c_[across.max(axis=1), scores.max(axis=1)]
                    keep = np.isfinite(best[:, 1])
                    if out is answerable:  # counts only when it found its own article first
                        own = column[phrase_article[chunk]]
                        keep &= (own >= 0) & (scores.argmax(axis=1) == own)
                    out.extend(best[keep].tolist())
    return np.array(answerable).reshape(-1, 2), np.array(unanswerable).reshape(-1, 2)


def _fold_scores(phrase_vectors, names, chunk, train, labels, kept_langs, lang, logits):
    """What a search would score for these phrasings (all in language `lang`) against the fold's
    index, per kept article: the similarity as an article in another language would get it (from
    the multilingual encoders alone), and the confidence score; articles in other languages are
    left out (-inf)."""
    starts = np.searchsorted(labels, np.arange(len(kept_langs)))
    per_encoder = {name: article_max(phrase_vectors[name][chunk] @ phrase_vectors[name][train].T,
                                     starts, int(train.sum()))
                   for name in names}
    scores = scoring.score(Evidence(lang, kept_langs, per_encoder, logits=logits))
    # an article in another language is compared by the multilingual encoders alone
    multilingual = {n: v for n, v in per_encoder.items() if encoder(n).languages is None} or per_encoder
    across = scoring.score(Evidence(lang, kept_langs, multilingual)).semantic
    other = kept_langs != lang
    return np.where(other, -np.inf, across), np.where(other, -np.inf, scores.uncalibrated)


def article_max(row_scores: np.ndarray, row_starts: np.ndarray, n_rows: int) -> np.ndarray:
    """Best row score per article; rows are stored grouped by article, `row_starts` marks each group.

    Works on one query (1-D) or many (2-D, one query a row).
    """
    if n_rows == 0:
        return np.zeros(row_scores.shape[:-1] + (0,), np.float32)
    return np.maximum.reduceat(row_scores, row_starts, axis=-1)
