"""The numpy metrics used for the chest X-ray model, checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from cnnapps.medical.metrics import (
    binary_metrics,
    expected_calibration_error,
    fit_platt,
    roc_auc,
    youden_threshold,
)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    score = np.clip(0.3 * y + rng.normal(0.35, 0.2, 500), 0, 1)
    score[:40] = np.round(score[:40], 1)  # ties
    return y, score


def test_auc_matches_sklearn(data):
    metrics = pytest.importorskip("sklearn.metrics")
    y, s = data
    assert roc_auc(y, s) == pytest.approx(metrics.roc_auc_score(y, s), abs=1e-12)


def test_confusion_and_rates(data):
    metrics = pytest.importorskip("sklearn.metrics")
    y, s = data
    m = binary_metrics(y, s, threshold=0.5)
    cm = metrics.confusion_matrix(y, s >= 0.5)
    assert m.confusion == tuple(map(tuple, cm.tolist()))
    assert m.accuracy == pytest.approx(metrics.accuracy_score(y, s >= 0.5))
    assert m.sensitivity == pytest.approx(metrics.recall_score(y, s >= 0.5))
    assert m.specificity == pytest.approx(metrics.recall_score(1 - y, s < 0.5))


def test_ece():
    y = np.array([0, 0, 1, 1])
    assert expected_calibration_error(y, np.array([0.0, 0.0, 1.0, 1.0])) == 0
    # all predicted 0.75 while half are positive: |0.75 - 0.5| = 0.25
    assert expected_calibration_error(y, np.full(4, 0.75)) == pytest.approx(0.25)


def test_youden_threshold_separates_perfectly():
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.6, 0.7, 0.9])
    t = youden_threshold(y, p)
    assert 0.6 < t <= 0.7
    assert binary_metrics(y, p, threshold=t).accuracy == 1.0


def test_platt_recovers_a_known_sigmoid():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 3, 20000)
    y = rng.random(20000) < 1 / (1 + np.exp(-(0.5 * z - 1.0)))
    a, b = fit_platt(y, z)
    assert a == pytest.approx(0.5, abs=0.05) and b == pytest.approx(-1.0, abs=0.08)
