"""Group face embeddings by person with scikit-learn's agglomerative clustering.

Average linkage on cosine distance, cut at ``1 - threshold``: two groups merge only while the
mean similarity between their faces stays above the model's verification threshold, so the
number of people need not be known in advance (unlike k-means) and a single face may stay alone
(unlike DBSCAN's noise label, every face gets a group).
"""

from __future__ import annotations

import numpy as np

__all__ = ["cluster_embeddings"]


def cluster_embeddings(embeddings: np.ndarray, *, threshold: float) -> np.ndarray:
    """``[N, D]`` unit embeddings -> ``[N]`` int labels, numbered by group size (largest 0).

    Ties in size are ordered by first appearance, so the labels are deterministic.
    """
    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=int)
    if n == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    raw = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - threshold
    ).fit_predict(np.asarray(embeddings, dtype=np.float64))
    first = {label: i for i, label in reversed(list(enumerate(raw)))}
    order = sorted(set(raw), key=lambda lab: (-int(np.sum(raw == lab)), first[lab]))
    remap = {lab: new for new, lab in enumerate(order)}
    return np.array([remap[lab] for lab in raw], dtype=int)
