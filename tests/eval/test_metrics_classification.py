"""Classification metrics against scikit-learn on hand-built and random cases."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import bootstrap
from sklearn.metrics import (accuracy_score, balanced_accuracy_score, f1_score,
                             roc_auc_score)

from mammofm.eval.metrics import bootstrap_ci, breast_level, classification_metrics


def test_known_binary_case() -> None:
    # 4 positives, 4 negatives; one positive ranked below one negative: AUC = 15/16
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    s = np.array([0.1, 0.2, 0.3, 0.6, 0.55, 0.7, 0.8, 0.9])
    m = classification_metrics(y, s)
    assert m["auc"] == pytest.approx(15 / 16)
    assert m["accuracy"] == pytest.approx(7 / 8)  # 0.6 negative is called positive
    assert m["balanced_accuracy"] == pytest.approx((3 / 4 + 1) / 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 80)
    s = np.round(rng.random(80) * 0.6 + y * 0.3, 2)  # rounding makes ties
    m = classification_metrics(y, s)
    pred = (s >= 0.5).astype(int)
    assert m["auc"] == pytest.approx(roc_auc_score(y, s))
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))


@pytest.mark.parametrize("seed", [0, 1])
def test_multiclass_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, 120)
    logits = rng.normal(size=(120, 4)) + np.eye(4)[y] * 1.0
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    m = classification_metrics(y, p)
    pred = p.argmax(1)
    assert m["auc"] == pytest.approx(roc_auc_score(y, p, multi_class="ovr", average="macro"))
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))


def test_class_never_predicted_nor_true_is_ignored_like_sklearn() -> None:
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.9, 0.05, 0.05],
                  [0.1, 0.8, 0.1]])
    m = classification_metrics(y, p)
    pred = p.argmax(1)
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro"))
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))


def test_nan_labels_are_dropped_and_one_class_gives_nan_auc() -> None:
    y = np.array([0, np.nan, 1, 1])
    s = np.array([0.2, 0.9, 0.8, 0.7])
    assert classification_metrics(y, s)["auc"] == pytest.approx(1.0)
    assert np.isnan(classification_metrics(np.array([1, 1]), np.array([0.2, 0.3]))["auc"])


def test_bootstrap_ci_brackets_the_estimate_and_agrees_with_scipy() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 150)
    s = rng.random(150) * 0.7 + y * 0.3
    ci = bootstrap_ci(y, s, n_resamples=400, seed=0)
    auc = classification_metrics(y, s)["auc"]
    lo, hi = ci["auc"]
    assert lo < auc < hi and hi - lo < 0.3
    ref = bootstrap((y, s), lambda a, b: roc_auc_score(a, b), paired=True, vectorized=False,
                    n_resamples=400, method="percentile", rng=0).confidence_interval
    assert lo == pytest.approx(ref.low, abs=0.03) and hi == pytest.approx(ref.high, abs=0.03)
    # same seed -> same interval; another seed -> (slightly) another
    assert bootstrap_ci(y, s, n_resamples=400, seed=0)["auc"] == ci["auc"]
    assert bootstrap_ci(y, s, n_resamples=400, seed=1)["auc"] != ci["auc"]


def test_breast_level_means_views() -> None:
    keys = [("s1", "L"), ("s1", "L"), ("s1", "R"), ("s2", "L")]
    y = np.array([1, 1, 0, np.nan])
    s = np.array([0.9, 0.5, 0.2, 0.4])
    k, yb, sb = breast_level(keys, y, s)
    assert k == [("s1", "L"), ("s1", "R"), ("s2", "L")]
    assert sb.tolist() == pytest.approx([0.7, 0.2, 0.4])
    assert yb[:2].tolist() == [1, 0] and np.isnan(yb[2])
