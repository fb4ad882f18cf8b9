"""Seeded, stratified train/validation splits with a local generator (never the global RNG)."""

from __future__ import annotations

import numpy as np

__all__ = ["stratified_split"]


def stratified_split(
    labels: np.ndarray, *, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val) with every class split in the same proportion, both shuffled.

    Each class keeps ``round(n_c * val_fraction)`` of its items for validation (at least one
    when the class has two or more), so small classes are not lost from either side.

    Args:
        labels: int array [N] of class labels (any order: MNIST's files are sorted by class).
        val_fraction: share of each class for validation, in (0, 1).
        seed: seeds a local ``numpy.random.Generator``; the same seed gives the same split.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    labels = np.asarray(labels).reshape(-1)
    rng = np.random.default_rng(seed)
    train_parts, val_parts = [], []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        n_val = int(round(len(idx) * val_fraction))
        if len(idx) >= 2:
            n_val = min(max(n_val, 1), len(idx) - 1)
        val_parts.append(idx[:n_val])
        train_parts.append(idx[n_val:])
    return rng.permutation(np.concatenate(train_parts)), rng.permutation(np.concatenate(val_parts))
