"""The headline metric of a task from labels and scores: AUC for binary, accuracy otherwise."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, roc_auc_score


def task_metric(y: np.ndarray, scores: np.ndarray) -> tuple[str, float]:
    """("auc", ROC AUC) for 1-D scores of a binary label; ("accuracy", argmax accuracy) for
    (N, K) class scores of a class-index label. Unknown labels (NaN) are left out."""
    y = np.asarray(y, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    known = ~np.isnan(y)
    y, s = y[known], s[known]
    if s.ndim == 1:
        if len(np.unique(y)) < 2:
            return "auc", float("nan")
        return "auc", float(roc_auc_score(y.astype(int), s))
    return "accuracy", float(accuracy_score(y.astype(int), s.argmax(axis=1)))
