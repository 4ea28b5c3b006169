"""Gap suggestions: the incremental clustering of failed questions, the two kinds of suggestion,
and `kb gaps eval` on a real gap set."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from kb.gaps.clustering import ClusterSettings, GapClusterer
from kb.gaps.inputs import AskedQuestion, is_candidate

NOW = datetime(2026, 10, 31, 12, 0)


def unit(*values):
    v = np.asarray(values, np.float32)
    return v / np.linalg.norm(v)


def near(axis: int, wobble: float, dims: int = 6, other: int | None = None):
    """A unit vector close to `axis`, tilted by `wobble` toward another axis."""
    v = np.zeros(dims, np.float32)
    v[axis] = 1.0
    v[(axis + 1) % dims if other is None else other] = wobble
    return unit(*v)


def asked(text, visitor="v1", days_ago=1.0, no_match=True, first=None, lang="en", confidence=0.2):
    return AskedQuestion(text=text, lang=lang, asked_at=NOW - timedelta(days=days_ago), visitor=visitor,
                         no_match=no_match, confidence=confidence,
                         results=[(first, confidence)] if first else [])


def test_a_question_waits_in_the_pool_until_enough_close_ones_come():
    clusterer = GapClusterer(ClusterSettings(join=0.9, seed=0.9, seed_size=3, merge=0.97))
    assert clusterer.fold("a", near(0, 0.1)) is None
    assert clusterer.fold("b", near(0, 0.2)) is None
    assert clusterer.fold("far", near(3, 0.1)) is None
    cluster = clusterer.fold("c", near(0, 0.15))
    assert cluster is not None
    assert sorted(clusterer.items[i] for i in clusterer.clusters[cluster].members) == ["a", "b", "c"]
    assert clusterer.fold("d", near(0, 0.05)) == cluster  # joins the centroid without reclustering
    assert [clusterer.items[i] for i in clusterer.pool] == ["far"]


def test_scattered_questions_never_make_a_cluster():
    clusterer = GapClusterer(ClusterSettings(join=0.9, seed=0.9, seed_size=3))
    for axis in range(6):
        clusterer.fold(f"q{axis}", near(axis, 0.3))
    assert clusterer.clusters == {}


def test_a_dismissed_cluster_keeps_its_questions_and_they_do_not_come_back():
    clusterer = GapClusterer(ClusterSettings(join=0.9, seed=0.9, seed_size=3))
    for n, wobble in enumerate((0.1, 0.2, 0.15)):
        cluster = clusterer.fold(f"q{n}", near(0, wobble))
    clusterer.dismiss(cluster)
    assert clusterer.open_clusters() == []
    for n, wobble in enumerate((0.12, 0.18, 0.05, 0.22)):
        assert clusterer.fold(f"later{n}", near(0, wobble)) == cluster
    assert clusterer.open_clusters() == []
    assert len(clusterer.clusters[cluster].members) == 7


def test_close_clusters_merge():
    clusterer = GapClusterer(ClusterSettings(join=0.995, seed=0.99, seed_size=2, merge=0.95))
    a = clusterer.fold("a1", unit(1, 0.00, 0, 0)) or clusterer.fold("a2", unit(1, 0.05, 0, 0))
    b = clusterer.fold("b1", unit(1, 0.25, 0, 0)) or clusterer.fold("b2", unit(1, 0.30, 0, 0))
    assert a is not None and b is not None
    assert len(clusterer.clusters) == 1


def test_candidates_are_failures_votes_and_tickets():
    assert is_candidate(asked("x", no_match=True))
    assert not is_candidate(asked("x", no_match=False, first="a", confidence=0.95))
    voted = asked("x", no_match=False, first="a", confidence=0.95)
    voted.vote = "not helpful"
    assert is_candidate(voted)
