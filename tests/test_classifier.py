import numpy as np

from kb.search.signals import classifier


def blobs(rng, centres, per_class=6):
    x = np.vstack([c + 0.3 * rng.standard_normal((per_class, len(c))) for c in centres]).astype(np.float32)
    return x, np.repeat(np.arange(len(centres)), per_class)


def softmax_rows(x, weights, bias):
    z = x @ weights + bias
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_refitting_one_column_learns_its_new_phrasing_and_leaves_the_others():
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:4] * 3
    x, labels = blobs(rng, centres)
    weights, bias = classifier.train(x, labels)
    # Article 2 gets a new phrasing far from its others, as an editor adding a question would.
    new = (np.eye(8)[0] * 2 + np.eye(8)[6] * 3).astype(np.float32)  # near article 0, in a new direction
    x2, labels2 = np.vstack([x, new]), np.append(labels, 2)
    assert softmax_rows(new[None], weights, bias)[0].argmax() == 0
    refit_w, refit_b = classifier.refit_columns(x2, labels2, weights, bias, [2])
    assert softmax_rows(new[None], refit_w, refit_b)[0].argmax() == 2
    assert (softmax_rows(x2, refit_w, refit_b).argmax(axis=1) == labels2).all()
    keep = [0, 1, 3]
    assert np.array_equal(refit_w[:, keep], weights[:, keep]) and np.array_equal(refit_b[keep], bias[keep])


def test_unchanged_phrasings_reuse_the_previous_classifier(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    x, labels = blobs(rng, np.eye(8)[:3] * 3)
    weights, bias = classifier.train(x, labels)
    np.save(tmp_path / "classifier.multi.weights.npy", weights)
    np.save(tmp_path / "classifier.multi.bias.npy", bias)
    hashes = {"a": "1", "b": "2", "c": "3"}
    manifest = {"classifiers": {"multi": ["e5"]}, "article_order": ["a", "b", "c"], "phrasing_hashes": hashes}
    monkeypatch.setattr(classifier, "train", lambda *a, **k: (_ for _ in ()).throw(AssertionError("trained")))
    monkeypatch.setattr(classifier, "refit_columns", lambda *a, **k: (_ for _ in ()).throw(AssertionError("refit")))
    got_w, got_b = classifier.fit(x, labels, ["a", "b", "c"], hashes, tmp_path, manifest, "multi", ["e5"])
    assert np.array_equal(got_w, weights) and np.array_equal(got_b, bias)
