"""The classifier learnt by `kb index`: logistic regression, one class per article, over the frozen
embeddings of the articles' own phrasings. Its probability helps rank; it never decides "no match".

A rebuild starts from the previous build's weights. When only a few articles' phrasings changed,
only their columns are learnt again, with the others held fixed: at 1,000 articles that takes a
tenth of a second where refitting everything takes several seconds.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from kb.search.build_files import BuildFiles, read_array
from kb.search.encoders import encoder, question_set
from kb.search.signals.base import Corpus, Previous, Question, Signal

C = 10.0  # inverse regularisation strength (docs/quality.md)
# Above this many changed articles (or this share of them) the whole classifier is refitted.
REFIT_COLUMNS_MAX, REFIT_COLUMNS_SHARE = 20, 0.05
# Above this many articles the classifier's training (and the n-gram model's) outgrows the machine;
# search then ranks by the fused similarity alone (docs/benchmarks.md).
MAX_ARTICLES = 3000


def features(vectors: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    """Encoders' vectors side by side, each scaled so its share matches its weight in the fused similarity."""
    return np.hstack([np.sqrt(encoder(n).weight) * vectors[n] for n in names]).astype(np.float32)


def train(x: np.ndarray, labels: np.ndarray, start=None) -> tuple[np.ndarray, np.ndarray]:
    """Fit every column; `start` (weights, bias) from the previous build shortens the fit."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    n_classes = int(labels.max()) + 1
    if n_classes < 2:
        return np.zeros((x.shape[1], 1), np.float32), np.zeros(1, np.float32)
    model = LogisticRegression(C=C, max_iter=300, tol=1e-4, warm_start=start is not None)
    if start is not None and n_classes > 2:
        model.coef_, model.intercept_ = start[0].T.astype(np.float32), start[1].astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, labels)
    weights, bias = model.coef_.T.astype(np.float32), model.intercept_.astype(np.float32)
    if n_classes == 2:  # sklearn keeps one column for two classes: softmax([0, z]) is its sigmoid(z)
        weights, bias = np.hstack([np.zeros_like(weights), weights]), np.concatenate([[0.0], bias]).astype(np.float32)
    return weights, bias


def refit_columns(x: np.ndarray, labels: np.ndarray, weights: np.ndarray, bias: np.ndarray,
                  columns: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Learn the given articles' columns again over all phrasings, every other column fixed.

    The same objective as `train` (C × cross-entropy + ½‖w‖²) restricted to those columns.
    """
    from scipy.optimize import minimize

    weights, bias = weights.astype(np.float64), bias.astype(np.float64)
    cols = np.asarray(columns)
    x64 = x.astype(np.float64)
    fixed = np.ones(weights.shape[1], bool)
    fixed[cols] = False
    logits = x64 @ weights[:, fixed] + bias[fixed]
    top = logits.max(axis=1)
    rest = np.exp(logits - top[:, None]).sum(axis=1)  # the fixed columns' share of each partition sum
    target = (labels[:, None] == cols[None, :]).astype(np.float64)
    dim = x.shape[1]

    def objective(params):
        w, b = params[:dim * len(cols)].reshape(dim, len(cols)), params[dim * len(cols):]
        z = x64 @ w + b
        peak = np.maximum(top, z.max(axis=1))
        ez = np.exp(z - peak[:, None])
        partition = rest * np.exp(top - peak) + ez.sum(axis=1)
        p = ez / partition[:, None]
        # cross-entropy up to terms that do not depend on these columns
        loss = (peak + np.log(partition)).sum() - (target * z).sum()
        value = C * loss + 0.5 * (w * w).sum()
        grad_z = C * (p - target)
        return value, np.concatenate([(x64.T @ grad_z + w).ravel(), grad_z.sum(axis=0)])

    start = np.concatenate([weights[:, cols].ravel(), bias[cols]])
    fit = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": 200})
    weights[:, cols] = fit.x[:dim * len(cols)].reshape(dim, len(cols))
    bias[cols] = fit.x[dim * len(cols):]
    return weights.astype(np.float32), bias.astype(np.float32)


def fit(x: np.ndarray, labels: np.ndarray, article_ids: list[str], phrasing_hashes: dict[str, str],
        previous: Path | None, previous_manifest: dict | None, set_name: str,
        names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """This build's classifier: the previous one where the phrasings are the same, refitted where not.

    `previous` is the last build's folder and `previous_manifest` its manifest (None for none)."""
    start = _previous(previous, previous_manifest, set_name, names, article_ids) if previous_manifest else None
    if start is None:
        return train(x, labels)
    weights, bias, old_hashes = start
    changed = [k for k, article_id in enumerate(article_ids) if old_hashes.get(article_id) != phrasing_hashes[article_id]]
    if not changed:
        return weights, bias
    if len(changed) <= max(REFIT_COLUMNS_MAX, REFIT_COLUMNS_SHARE * len(article_ids)):
        return refit_columns(x, labels, weights, bias, changed)
    return train(x, labels, (weights, bias))


def _previous(previous: Path, manifest: dict, set_name: str, names: list[str], article_ids: list[str]):
    """The last build's classifier with its columns moved to this build's articles (new ones start
    at 0), and the phrasing hashes it was learnt from."""
    try:
        if manifest["classifiers"].get(set_name) != names:
            return None
        weights = np.load(BuildFiles(previous).classifier_weights(set_name))
        bias = np.load(BuildFiles(previous).classifier_bias(set_name))
        old_column = {article_id: k for k, article_id in enumerate(manifest["article_order"])}
        old_hashes = dict(manifest.get("phrasing_hashes", {}))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if weights.shape[1] != len(old_column):
        return None
    new_weights = np.zeros((weights.shape[0], len(article_ids)), np.float32)
    new_bias = np.full(len(article_ids), float(bias.mean()), np.float32)
    for k, article_id in enumerate(article_ids):
        if article_id in old_column:
            new_weights[:, k] = weights[:, old_column[article_id]]
            new_bias[k] = bias[old_column[article_id]]
    return new_weights, new_bias, old_hashes


class Classifier(Signal):
    """One classifier per encoder set (`kb.search.encoders.question_sets`): for a question, the
    logits of the set that embeds its language."""

    name = "classifier"

    def __init__(self, sets: dict[str, list[str]]):
        self.sets = sets

    def fit(self, corpus: Corpus, previous: Previous) -> "Classifier":
        self.models_ = {}
        if len(corpus.articles) > MAX_ARTICLES:
            return self
        for set_name, names in self.sets.items():
            weights, bias = fit(features(corpus.vectors, names), corpus.phrase_article, corpus.ids,
                                corpus.phrasing_hashes, previous.folder, previous.same_models, set_name, names)
            self.models_[set_name] = (names, weights, bias)
        return self

    def save(self, files):
        for set_name, (_names, weights, bias) in self.models_.items():
            np.save(files.classifier_weights(set_name), weights)
            np.save(files.classifier_bias(set_name), bias)

    def manifest(self) -> dict:
        return {"classifiers": {set_name: names for set_name, (names, _, _) in self.models_.items()}}

    def load(self, files, build) -> "Classifier":
        self.models_ = {}
        n_articles = len(build.articles)
        for set_name, names in build.classifiers.items():
            weights = files.read(files.classifier_weights(set_name), read_array)
            bias = files.read(files.classifier_bias(set_name), read_array)
            width = sum(build.signal(n).dimension for n in names if build.signal(n) is not None)
            files.check(files.classifier_weights(set_name), weights.shape == (width, n_articles),
                        f"is not a {width} by {n_articles} matrix")
            files.check(files.classifier_bias(set_name), bias.shape == (n_articles,),
                        f"does not hold {n_articles} numbers")
            self.models_[set_name] = (names, weights, bias)
        return self

    def evidence(self, question: Question) -> dict:
        set_name = question_set(question.lang, self.sets)
        if set_name not in self.models_:
            return {}
        names, weights, bias = self.models_[set_name]
        return {"logits": (features({n: question.vectors[n][None, :] for n in names}, names) @ weights + bias)[0]}
