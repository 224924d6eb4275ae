"""Linear probe: frozen features -> standardised, seeded scikit-learn logistic regression.

The standard read-out of what a pretrained encoder knows: no gradient reaches the encoder, so
the probe's held-out score measures the representation, not the optimiser. Its one
hyperparameter, the L2 strength, is chosen by cross-validation on the training rows, grouped by
patient (as CLIP's probes sweep it on held-out data): a fixed C=1 on a few hundred images of
192 features over-fits so much that the held-out AUC fell as labels were added.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from .metrics import task_metric

#: C values (inverse L2 strength on standardised features) tried when ``C="auto"``
C_GRID: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
#: C when the training rows are too few to cross-validate (fewer than 2 groups per class)
FALLBACK_C = 1e-2


@dataclass
class ProbeResult:
    """Held-out scores: (N,) P(label = 1) when binary, (N, K) class probabilities otherwise."""

    scores: np.ndarray
    classes: np.ndarray
    pipeline: Pipeline
    metric_name: str | None = None
    metric: float | None = None
    C: float | None = None  # the regularisation used (chosen by cross-validation with "auto")

    @property
    def binary(self) -> bool:
        return self.scores.ndim == 1


def _known(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows with a known label: (X, y as int, the boolean mask that chose them)."""
    y = np.asarray(y, dtype=np.float64)
    keep = ~np.isnan(y)
    return np.asarray(X)[keep], y[keep].astype(int), keep


def _pipeline(C: float, seed: int, max_iter: int, class_weight: str | None) -> Pipeline:
    return make_pipeline(
        StandardScaler(),
        LogisticRegression(C=C, max_iter=max_iter, random_state=seed, class_weight=class_weight),
    )


def choose_C(X: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None, *, seed: int = 0,
             max_iter: int = 2000, class_weight: str | None = None,
             grid: tuple[float, ...] = C_GRID) -> float:
    """The C of ``grid`` with the best mean validation score over folds that keep each group
    (patient) whole: AUC for two classes, log loss otherwise. Ties go to the smaller C (the
    simpler model); too few groups per class to make two folds gives ``FALLBACK_C``."""
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    classes = np.unique(y)
    per_class = min(len(np.unique(groups[y == c])) for c in classes)
    k = min(5, per_class)
    if k < 2:
        return FALLBACK_C
    folds = list(StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
                 .split(X, y, groups))
    best_c, best = FALLBACK_C, -np.inf
    for C in sorted(grid):
        scores = []
        for tr, va in folds:
            if len(np.unique(y[tr])) < len(classes) or len(np.unique(y[va])) < 2:
                continue  # a fold that cannot train every class or cannot be scored
            fold = _pipeline(C, seed, max_iter, class_weight).fit(X[tr], y[tr])
            proba = fold.predict_proba(X[va])
            scores.append(roc_auc_score(y[va], proba[:, 1]) if len(classes) == 2
                          else -log_loss(y[va], proba, labels=classes))
        if scores and float(np.mean(scores)) > best + 1e-12:
            best_c, best = C, float(np.mean(scores))
    return best_c


def linear_probe(
    train_X: np.ndarray,
    train_y: np.ndarray,
    test_X: np.ndarray,
    test_y: np.ndarray | None = None,
    *,
    seed: int = 0,
    C: float | str = "auto",
    max_iter: int = 2000,
    n_classes: int | None = None,
    class_weight: str | None = None,
    groups: np.ndarray | None = None,
) -> ProbeResult:
    """Fit on (train_X, train_y) (NaN labels dropped), score test_X.

    ``C="auto"`` chooses the regularisation by cross-validation (``choose_C``) with folds
    grouped by ``groups`` (one id per training row, e.g. the patient; default: every row its
    own group); a number fixes it.

    Binary labels (classes {0, 1}, or ``n_classes == 2``) give 1-D scores; other labels give
    (N, n_classes) probabilities, zero for classes the training labels lacked, so the columns
    always mean class index 0..K-1. With ``test_y`` the task metric is filled in.
    """
    X, y, keep = _known(train_X, train_y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(f"linear probe needs two classes in the training labels; got "
                         f"{classes.tolist()} from {len(y)} labelled rows")
    if isinstance(C, str):
        if C != "auto":
            raise ValueError(f"C must be a number or 'auto', got {C!r}")
        g = None if groups is None else np.asarray(groups)[keep]
        C = choose_C(X, y, g, seed=seed, max_iter=max_iter, class_weight=class_weight)
    pipe = _pipeline(float(C), seed, max_iter, class_weight)
    pipe.fit(X, y)
    proba = pipe.predict_proba(np.asarray(test_X))
    k = n_classes or int(max(classes.max() + 1, 2))
    if k == 2 and set(classes.tolist()) <= {0, 1}:
        scores = proba[:, list(classes).index(1)]
    else:
        scores = np.zeros((len(proba), k), dtype=np.float64)
        scores[:, classes] = proba
    result = ProbeResult(scores=scores, classes=classes, pipeline=pipe, C=float(C))
    if test_y is not None:
        result.metric_name, result.metric = task_metric(test_y, scores)
    return result
