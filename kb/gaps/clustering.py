"""Incremental clustering of failed questions by meaning.

The worker folds each new question in as it comes, without reclustering the past:

1. a question close enough to an existing cluster's centroid joins it (a dismissed cluster too:
   it swallows its new questions, so a dismissed topic never comes back as a new suggestion);
2. otherwise it waits in the pool of unclustered questions; when it has `seed_size - 1` pool
   neighbours that are close to it and to each other, they become a new cluster together
   (scattered chatter rarely finds such a dense group, so it stays in the pool);
3. after a cluster changes, pool questions close to its new centroid join it, and open clusters
   whose centroids come close are merged.

Vectors are unit rows of one multilingual encoder, so Russian and English wordings of one topic
land in one cluster.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Cluster:
    id: int
    members: list[int] = field(default_factory=list)  # indices into the clusterer's items
    total: np.ndarray | None = None  # sum of member vectors
    dismissed: bool = False

    @property
    def centroid(self) -> np.ndarray:
        return self.total / max(np.linalg.norm(self.total), 1e-12)

    def linkage(self, vector: np.ndarray) -> float:
        """Average cosine of `vector` to the members (average linkage: stable as a cluster grows,
        unlike the cosine to the centroid, which rises with every member averaged in)."""
        return float(self.total @ vector) / len(self.members)


@dataclass
class ClusterSettings:
    join: float = 0.87  # average cosine to a cluster's members to join it
    seed: float = 0.87  # cosine between every two pool questions that start a cluster
    seed_size: int = 3  # questions that start a cluster
    merge: float = 0.87  # average cosine between two open clusters' members to merge them


class GapClusterer:
    def __init__(self, settings: ClusterSettings | None = None):
        self.settings = settings or ClusterSettings()
        self.items: list = []  # whatever the caller folds in (questions), by index
        self.vectors: list[np.ndarray] = []
        self.clusters: dict[int, Cluster] = {}
        self.pool: list[int] = []
        self.assigned: dict[int, int] = {}  # item -> cluster id
        self._next_id = 1

    # -- the worker's one step --------------------------------------------------------------
    def fold(self, item, vector: np.ndarray) -> int | None:
        """Fold one question in; returns its cluster id, or None while it waits in the pool."""
        s = self.settings
        index = len(self.items)
        self.items.append(item)
        vector = np.asarray(vector, np.float32)
        self.vectors.append(vector)
        best, similarity = self._nearest(vector)
        if best is not None and similarity >= s.join:
            self._add(best, [index])
            self._after_change(best)
            return self.assigned[index]
        self.pool.append(index)
        return self._try_seed(index)

    def fold_many(self, items, vectors) -> None:
        for item, vector in zip(items, vectors):
            self.fold(item, vector)

    def dismiss(self, cluster_id: int) -> None:
        """An editor dismissed it: it stays, closed, and keeps swallowing its topic's questions."""
        self.clusters[cluster_id].dismissed = True

    def open_clusters(self) -> list[Cluster]:
        return [c for c in self.clusters.values() if not c.dismissed]

    # -- pieces -----------------------------------------------------------------------------
    def _nearest(self, vector, exclude: int | None = None, open_only: bool = False):
        best, similarity = None, -1.0
        for c in self.clusters.values():
            if c.id == exclude or (open_only and c.dismissed):
                continue
            sim = c.linkage(vector)
            if sim > similarity:
                best, similarity = c.id, sim
        return best, similarity

    def _add(self, cluster_id: int, indices: list[int]) -> None:
        cluster = self.clusters[cluster_id]
        for i in indices:
            cluster.members.append(i)
            cluster.total = self.vectors[i].copy() if cluster.total is None else cluster.total + self.vectors[i]
            self.assigned[i] = cluster_id
        self.pool = [i for i in self.pool if i not in self.assigned]

    def _try_seed(self, index: int) -> int | None:
        s = self.settings
        others = [i for i in self.pool if i != index]
        if len(others) < s.seed_size - 1:
            return None
        matrix = np.vstack([self.vectors[i] for i in others])
        sims = matrix @ self.vectors[index]
        close = [others[k] for k in np.argsort(-sims) if sims[k] >= s.seed]
        group = [index]
        for candidate in close:  # greedy: each new member close to every one already in
            if all(float(self.vectors[candidate] @ self.vectors[g]) >= s.seed for g in group):
                group.append(candidate)
        if len(group) < s.seed_size:
            return None
        cluster = Cluster(id=self._next_id)
        self._next_id += 1
        self.clusters[cluster.id] = cluster
        self._add(cluster.id, group)
        self._after_change(cluster.id)
        return self.assigned.get(index)

    def _after_change(self, cluster_id: int) -> None:
        s = self.settings
        cluster = self.clusters[cluster_id]
        if self.pool:
            matrix = np.vstack([self.vectors[i] for i in self.pool])
            sims = matrix @ cluster.total / len(cluster.members)
            joining = [i for i, sim in zip(self.pool, sims) if sim >= s.join]
            if joining:
                self._add(cluster_id, joining)
        if cluster.dismissed:
            return
        other, similarity = self._nearest(cluster.total / len(cluster.members), exclude=cluster_id, open_only=True)
        if other is not None and similarity >= s.merge:
            keep, gone = sorted((cluster_id, other))
            self._add(keep, list(self.clusters[gone].members))
            del self.clusters[gone]
