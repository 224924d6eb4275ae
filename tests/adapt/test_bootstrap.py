from __future__ import annotations

import numpy as np
from scipy.stats import bootstrap
from sklearn.metrics import roc_auc_score

from mammofm.adapt import bootstrap_ci


def _data(seed=0, n=200):
    r = np.random.default_rng(seed)
    y = r.integers(0, 2, n)
    return y, y + r.normal(0, 1.2, n)


def test_ci_contains_point_and_is_seeded():
    y, s = _data()
    ci = bootstrap_ci(y, s, seed=7)
    assert ci.point == roc_auc_score(y, s)
    assert ci.low < ci.point < ci.high
    assert ci.n_resamples == 1000
    assert bootstrap_ci(y, s, seed=7) == ci
    assert bootstrap_ci(y, s, seed=8) != ci


def test_ci_narrows_with_more_data():
    small = bootstrap_ci(*_data(1, 80), n_resamples=300)
    large = bootstrap_ci(*_data(1, 2000), n_resamples=300)
    assert (large.high - large.low) < (small.high - small.low)


def test_matches_scipy_paired_bootstrap_of_the_mean_difference():
    # same resampling engine: a paired statistic on arrays gives the same interval
    y, s = _data(2)
    ours = bootstrap_ci(y.astype(float), s, metric=lambda a, b: float(np.mean(b - a)), seed=3,
                        n_resamples=500)
    ref = bootstrap((y.astype(float), s), lambda a, b: np.mean(b - a), paired=True,
                    vectorized=False, n_resamples=500, method="percentile",
                    rng=np.random.default_rng(3))
    assert abs(ours.low - ref.confidence_interval.low) < 0.02
    assert abs(ours.high - ref.confidence_interval.high) < 0.02


def test_multiclass_accuracy_and_nan_labels():
    r = np.random.default_rng(0)
    y = r.integers(0, 3, 150).astype(float)
    probs = np.eye(3)[y.astype(int)] * 0.6 + r.random((150, 3)) * 0.5
    y[:10] = np.nan
    ci = bootstrap_ci(y, probs, n_resamples=200)
    assert 0 <= ci.low <= ci.point <= ci.high <= 1


def test_batched_auc_equals_sklearn_with_ties():
    from mammofm.adapt.bootstrap import batched_auc

    r = np.random.default_rng(4)
    y = r.integers(0, 2, (5, 60))
    s = np.round(r.normal(size=(5, 60)) + y, 1)  # rounding makes ties
    ours = batched_auc(y, s)
    ref = [roc_auc_score(y[i], s[i]) for i in range(5)]
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    assert np.isnan(batched_auc(np.ones((1, 5)), np.arange(5.0)))[0]


def test_custom_metric_uses_per_resample_path():
    y, s = _data(5, 120)
    ci = bootstrap_ci(y, s, metric=roc_auc_score, n_resamples=100)
    fast = bootstrap_ci(y, s, n_resamples=100)
    assert ci.point == fast.point
    assert ci.low <= ci.point <= ci.high
