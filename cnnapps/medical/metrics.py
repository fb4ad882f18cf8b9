"""Binary classification metrics in plain numpy: ROC AUC, confusion, expected calibration error.

Written out (a few lines each) so the core does not need scikit-learn; ``tests/test_xray_metrics.py``
checks them against scikit-learn where it is installed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BinaryMetrics", "binary_metrics", "expected_calibration_error", "fit_platt",
           "reliability_bins", "roc_auc", "youden_threshold"]


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve = P(score of a random positive > a random negative), ties half
    (the Mann-Whitney U statistic with average ranks)."""
    y = np.asarray(y).astype(bool).ravel()
    score = np.asarray(score, dtype=np.float64).ravel()
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score), dtype=np.float64)
    sorted_scores = score[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def reliability_bins(y: np.ndarray, prob: np.ndarray, *, n_bins: int = 10
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Equal-width bins of P(positive): (mean predicted, observed positive rate, count) per bin."""
    y = np.asarray(y, dtype=np.float64).ravel()
    prob = np.asarray(prob, dtype=np.float64).ravel()
    idx = np.clip((prob * n_bins).astype(int), 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(idx, weights=prob, minlength=n_bins) / count
        rate = np.bincount(idx, weights=y, minlength=n_bins) / count
    return mean_p, rate, count


def expected_calibration_error(y: np.ndarray, prob: np.ndarray, *, n_bins: int = 10) -> float:
    """ECE of P(positive) over ``n_bins`` equal-width bins (Naeini et al. 2015; Guo et al. 2017
    use the top-label confidence, which for two classes bins the same errors symmetrically)."""
    mean_p, rate, count = reliability_bins(y, prob, n_bins=n_bins)
    keep = count > 0
    return float(np.sum(count[keep] / count.sum() * np.abs(mean_p[keep] - rate[keep])))


def youden_threshold(y: np.ndarray, prob: np.ndarray) -> float:
    """The threshold that maximises sensitivity + specificity (Youden's J) on (y, prob).

    Prevalence-free: the validation split is 74 % pneumonia, the test split 62.5 %, so picking the
    threshold for raw accuracy on val would tune it to val's prevalence. The midpoint between
    neighbouring scores is returned so that the rule ``prob >= t`` reproduces the best split.
    """
    y = np.asarray(y).astype(bool).ravel()
    prob = np.asarray(prob, dtype=np.float64).ravel()
    cands = np.unique(prob)
    mids = np.concatenate([[cands[0] - 1e-6], (cands[:-1] + cands[1:]) / 2, [cands[-1] + 1e-6]])
    best_t, best_j = 0.5, -np.inf
    for t in mids:
        pred = prob >= t
        j = (pred & y).sum() / max(1, y.sum()) + (~pred & ~y).sum() / max(1, (~y).sum())
        if j > best_j + 1e-12:
            best_t, best_j = float(t), j
    return float(np.clip(best_t, 0.0, 1.0))


def fit_platt(y: np.ndarray, z: np.ndarray, *, iters: int = 200) -> tuple[float, float]:
    """Platt scaling (Platt 1999): (a, b) minimising the log loss of sigmoid(a * z + b) on (y, z).

    Two parameters, fitted on the validation split: the scale fixes over-confidence (temperature,
    Guo et al. 2017), the bias undoes the prior shift that class-weighted training introduces.
    Newton's method with backtracking on the convex 2-parameter problem.
    """
    y = np.asarray(y, dtype=np.float64).ravel()
    z = np.asarray(z, dtype=np.float64).ravel()
    X = np.stack([z, np.ones_like(z)], axis=1)

    def loss(w: np.ndarray) -> float:
        t = X @ w
        return float(np.sum(np.logaddexp(0.0, t) - y * t))

    w = np.zeros(2)  # start from a = 0: p = 0.5 everywhere, a safe point for Newton
    current = loss(w)
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        grad = X.T @ (p - y)
        hess = (X * (p * (1 - p))[:, None]).T @ X + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        scale = 1.0
        while scale > 1e-6 and loss(w - scale * step) > current:  # backtracking: never worse
            scale /= 2
        w = w - scale * step
        new = loss(w)
        if current - new < 1e-12:
            break
        current = new
    a, b = w
    return float(a), float(b)


@dataclass(frozen=True)
class BinaryMetrics:
    accuracy: float
    auc: float
    sensitivity: float  # recall of the positive class (pneumonia)
    specificity: float  # recall of the negative class (normal)
    ece: float
    confusion: tuple[tuple[int, int], tuple[int, int]]  # rows true (neg, pos), columns predicted
    threshold: float
    n: int


def binary_metrics(y: np.ndarray, prob: np.ndarray, *, threshold: float) -> BinaryMetrics:
    y = np.asarray(y).astype(bool).ravel()
    prob = np.asarray(prob, dtype=np.float64).ravel()
    pred = prob >= threshold
    tn, fp = int((~pred & ~y).sum()), int((pred & ~y).sum())
    fn, tp = int((~pred & y).sum()), int((pred & y).sum())
    return BinaryMetrics(
        accuracy=(tp + tn) / len(y), auc=roc_auc(y, prob),
        sensitivity=tp / max(1, tp + fn), specificity=tn / max(1, tn + fp),
        ece=expected_calibration_error(y, prob), confusion=((tn, fp), (fn, tp)),
        threshold=float(threshold), n=len(y),
    )
