"""Bootstrap confidence intervals of a metric (scipy.stats.bootstrap over sample indices).

Resampling indices rather than arrays lets one routine serve any metric and score shape
(1-D AUC scores, (N, K) class probabilities). The task metrics (AUC, accuracy) are computed
for all resamples at once (AUC by the rank-sum identity, checked against
``sklearn.metrics.roc_auc_score`` in the tests): 1,000 sklearn calls take tens of seconds on a
busy CPU, the vectorised form milliseconds. Resamples where the metric is undefined (one
class only) are dropped from the percentile interval rather than failing the whole run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import DegenerateDataWarning, bootstrap, rankdata

from .metrics import task_metric


@dataclass(frozen=True)
class BootstrapCI:
    point: float
    low: float
    high: float
    n_resamples: int
    confidence: float

    def __str__(self) -> str:
        return f"{self.point:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def as_dict(self) -> dict[str, float]:
        return {"point": self.point, "low": self.low, "high": self.high,
                "n_resamples": self.n_resamples, "confidence": self.confidence}


def batched_auc(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """ROC AUC of every row of (R, N) labels / scores (Mann-Whitney U with tie-averaged
    ranks, which is what roc_auc_score computes); NaN where a row has one class only."""
    y = np.atleast_2d(y).astype(bool)
    ranks = rankdata(np.atleast_2d(s), axis=-1)
    n1 = y.sum(axis=-1).astype(np.float64)
    n0 = y.shape[-1] - n1
    r1 = np.where(y, ranks, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (r1 - n1 * (n1 + 1) / 2) / (n1 * n0)


def _vectorised_task_stat(y: np.ndarray, s: np.ndarray) -> Callable[..., np.ndarray]:
    """Statistic over index arrays (..., N) for scipy's vectorised bootstrap."""
    if s.ndim == 1:
        def auc(idx: np.ndarray, axis: int = -1) -> np.ndarray:
            idx = idx.astype(int)
            return batched_auc(y[idx], s[idx])
        return auc
    correct = (s.argmax(axis=1) == y.astype(int)).astype(np.float64)

    def acc(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        return correct[idx.astype(int)].mean(axis=-1)
    return acc


def bootstrap_ci(
    y: np.ndarray,
    scores: np.ndarray,
    *,
    metric: Callable[[np.ndarray, np.ndarray], float] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> BootstrapCI:
    """Point estimate on all samples + percentile CI over ``n_resamples`` paired resamples.

    ``metric(y, scores) -> float``; default: the task metric (AUC for 1-D scores of a binary
    label, accuracy for (N, K) class scores). Unknown labels (NaN) are left out first.
    """
    y = np.asarray(y)
    s = np.asarray(scores, dtype=np.float64)
    if len(y) != len(s):
        raise ValueError(f"{len(y)} labels but {len(s)} scores")
    known = ~np.isnan(y.astype(np.float64))
    y, s = y[known].astype(np.float64), s[known]
    idx = (np.arange(len(y), dtype=np.float64),)
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        # constant scores give a degenerate distribution: the interval is then [point, point]
        warnings.simplefilter("ignore", DegenerateDataWarning)
        res, point = _run(y, s, idx, metric, n_resamples, confidence, rng)
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if np.isnan(low) or np.isnan(high):
        tail = (1 - confidence) / 2 * 100
        low, high = (float(v) for v in np.nanpercentile(res.bootstrap_distribution,
                                                         [tail, 100 - tail]))
    return BootstrapCI(float(point), low, high, n_resamples, confidence)


def _run(y: np.ndarray, s: np.ndarray, idx: tuple[np.ndarray], metric: Callable | None,
         n_resamples: int, confidence: float, rng: np.random.Generator) -> tuple[Any, float]:
    if metric is None:
        point = task_metric(y, s)[1]
        res = bootstrap(idx, _vectorised_task_stat(y, s), n_resamples=n_resamples,
                        confidence_level=confidence, method="percentile", vectorized=True,
                        batch=200, rng=rng)
    else:
        def stat(i: np.ndarray) -> float:
            i = i.astype(int)
            try:
                return float(metric(y[i], s[i]))
            except ValueError:  # e.g. roc_auc_score on a one-class resample
                return float("nan")

        point = float(metric(y, s))
        res = bootstrap(idx, stat, n_resamples=n_resamples, confidence_level=confidence,
                        method="percentile", vectorized=False, rng=rng)
    return res, float(point)
