"""Linear probe: frozen features -> standardised, seeded scikit-learn logistic regression.

The standard read-out of what a pretrained encoder knows: no gradient reaches the encoder, so
the probe's held-out score measures the representation, not the optimiser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from .metrics import task_metric


@dataclass
class ProbeResult:
    """Held-out scores: (N,) P(label = 1) when binary, (N, K) class probabilities otherwise."""

    scores: np.ndarray
    classes: np.ndarray
    pipeline: Pipeline
    metric_name: str | None = None
    metric: float | None = None

    @property
    def binary(self) -> bool:
        return self.scores.ndim == 1


def _known(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    keep = ~np.isnan(y)
    return np.asarray(X)[keep], y[keep].astype(int)


def linear_probe(
    train_X: np.ndarray,
    train_y: np.ndarray,
    test_X: np.ndarray,
    test_y: np.ndarray | None = None,
    *,
    seed: int = 0,
    C: float = 1.0,
    max_iter: int = 2000,
    n_classes: int | None = None,
    class_weight: str | None = None,
) -> ProbeResult:
    """Fit on (train_X, train_y) (NaN labels dropped), score test_X.

    Binary labels (classes {0, 1}, or ``n_classes == 2``) give 1-D scores; other labels give
    (N, n_classes) probabilities, zero for classes the training labels lacked, so the columns
    always mean class index 0..K-1. With ``test_y`` the task metric is filled in.
    """
    X, y = _known(train_X, train_y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"linear probe needs two classes in the training labels; got "
                         f"{classes.tolist()} from {len(y)} labelled rows")
    pipe = make_pipeline(
        StandardScaler(),
        LogisticRegression(C=C, max_iter=max_iter, random_state=seed, class_weight=class_weight),
    )
    pipe.fit(X, y)
    proba = pipe.predict_proba(np.asarray(test_X))
    k = n_classes or int(max(classes.max() + 1, 2))
    if k == 2 and set(classes.tolist()) <= {0, 1}:
        scores = proba[:, list(classes).index(1)]
    else:
        scores = np.zeros((len(proba), k), dtype=np.float64)
        scores[:, classes] = proba
    result = ProbeResult(scores=scores, classes=classes, pipeline=pipe)
    if test_y is not None:
        result.metric_name, result.metric = task_metric(test_y, scores)
    return result
