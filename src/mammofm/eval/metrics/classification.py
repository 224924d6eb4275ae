"""Classification metrics with bootstrap 95% confidence intervals.

AUC (one-vs-rest macro for more than two classes), accuracy, macro-F1 and balanced accuracy,
defined as scikit-learn defines them (``roc_auc_score``, ``accuracy_score``, ``f1_score(average=
"macro")``, ``balanced_accuracy_score``; the tests check equality). They are computed here with
NumPy over a whole stack of bootstrap resamples at once, because calling scikit-learn 200 times
per metric per task costs seconds each on a 2-core CPU.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

METRICS: tuple[str, ...] = ("auc", "accuracy", "macro_f1", "balanced_accuracy")


def _as_proba(score: np.ndarray) -> np.ndarray:
    """(N,) positive-class scores or (N, K) class probabilities -> (N, K), K >= 2."""
    s = np.asarray(score, dtype=np.float64)
    if s.ndim == 1:
        return np.stack([1.0 - s, s], axis=1)
    if s.ndim != 2 or s.shape[1] < 2:
        raise ValueError(f"scores must be (N,) or (N, K>=2), got shape {s.shape}")
    return s


def _binary_auc(pos: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC per row. pos, score: (B, N) -> (B,); NaN where a row has one class."""
    ranks = rankdata(score, axis=1)  # ties get the average rank, as in roc_auc_score
    n1 = pos.sum(axis=1)
    n0 = pos.shape[1] - n1
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((ranks * pos).sum(axis=1) - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    return np.where((n1 > 0) & (n0 > 0), auc, np.nan)


def _stacked(y: np.ndarray, proba: np.ndarray, threshold: float | None) -> dict[str, np.ndarray]:
    """Metrics for B resamples at once. y: (B, N) int; proba: (B, N, K)."""
    b, n, k = proba.shape
    if k == 2 and threshold is not None:
        pred = (proba[..., 1] >= threshold).astype(np.int64)
    else:
        pred = proba.argmax(axis=2)
    onehot_t = y[..., None] == np.arange(k)  # (B, N, K)
    onehot_p = pred[..., None] == np.arange(k)
    tp = (onehot_t & onehot_p).sum(axis=1).astype(np.float64)  # (B, K)
    n_true = onehot_t.sum(axis=1).astype(np.float64)
    n_pred = onehot_p.sum(axis=1).astype(np.float64)
    present_t = n_true > 0
    present_any = present_t | (n_pred > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(present_t, tp / n_true, np.nan)
        denom = n_true + n_pred
        f1 = np.where(present_any, np.where(denom > 0, 2 * tp / denom, 0.0), np.nan)
    if k == 2:
        auc = _binary_auc(y == 1, proba[..., 1])
    else:
        per_class = np.stack([_binary_auc(y == c, proba[..., c]) for c in range(k)], axis=1)
        auc = _nanmean(per_class)
    return {
        "auc": auc,
        "accuracy": (pred == y).mean(axis=1),
        "macro_f1": _nanmean(f1),
        "balanced_accuracy": _nanmean(recall),
    }


def _nanmean(a: np.ndarray) -> np.ndarray:
    """Row means ignoring NaN; NaN (no warning) for an all-NaN row."""
    ok = np.isfinite(a)
    n = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.where(ok, a, 0.0).sum(axis=1) / n, np.nan)


def classification_metrics(y_true: np.ndarray, score: np.ndarray, *,
                           threshold: float | None = 0.5) -> dict[str, float]:
    """AUC, accuracy, macro-F1 and balanced accuracy of one prediction set.

    ``score``: (N,) positive-class probability for a binary task, or (N, K) class probabilities
    (classes 0..K-1). Binary predictions threshold the positive probability (default 0.5);
    multi-class predictions take the argmax. Rows whose label is NaN are dropped. AUC of a
    multi-class task is the unweighted one-vs-rest mean over the classes present (NaN when the
    labels hold one class).
    """
    y, p = _clean(y_true, score)
    if len(y) == 0:
        return {m: float("nan") for m in METRICS}
    out = _stacked(y[None], p[None], threshold)
    return {m: float(v[0]) for m, v in out.items()}


def bootstrap_ci(y_true: np.ndarray, score: np.ndarray, *, n_resamples: int = 200,
                 seed: int = 0, level: float = 0.95, threshold: float | None = 0.5,
                 groups: np.ndarray | None = None) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap CIs of every metric in ``classification_metrics``.

    Resamples cases with replacement (``groups``: resample whole groups, e.g. patients, so two
    views of one breast stay together). Resamples where a metric is undefined are skipped.
    """
    y, p = _clean(y_true, score)
    if len(y) == 0 or n_resamples <= 0:
        return {m: (float("nan"), float("nan")) for m in METRICS}
    rng = np.random.default_rng(seed)
    idx = _resample_indices(len(y), n_resamples, rng,
                            None if groups is None else np.asarray(groups)[_keep(y_true)])
    out = _stacked(y[idx], p[idx], threshold)
    alpha = (1.0 - level) / 2.0
    cis: dict[str, tuple[float, float]] = {}
    for m, vals in out.items():
        v = vals[np.isfinite(vals)]
        cis[m] = ((float(np.quantile(v, alpha)), float(np.quantile(v, 1 - alpha)))
                  if len(v) else (float("nan"), float("nan")))
    return cis


def _keep(y_true: np.ndarray) -> np.ndarray:
    return np.isfinite(np.asarray(y_true, dtype=np.float64))


def _clean(y_true: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=np.float64)
    p = _as_proba(score)
    if len(y) != len(p):
        raise ValueError(f"{len(y)} labels but {len(p)} scores")
    keep = np.isfinite(y)
    yk = y[keep].astype(np.int64)
    if len(yk) and (yk.min() < 0 or yk.max() >= p.shape[1]):
        raise ValueError(f"labels must lie in 0..{p.shape[1] - 1}, got {sorted(set(yk))}")
    return yk, p[keep]


def _resample_indices(n: int, b: int, rng: np.random.Generator,
                      groups: np.ndarray | None) -> np.ndarray:
    """(B, N') indices: i.i.d. cases, or whole groups drawn with replacement (padded/cut to N
    so the stack stays rectangular)."""
    if groups is None:
        return rng.integers(0, n, size=(b, n))
    uniq, inv = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inv == g) for g in range(len(uniq))]
    rows = []
    for _ in range(b):
        picks = rng.integers(0, len(uniq), size=len(uniq))
        idx = np.concatenate([members[g] for g in picks])
        rows.append(np.resize(idx, n))
    return np.stack(rows)


def breast_level(frame_keys: list[tuple[object, ...]], y_true: np.ndarray, score: np.ndarray
                 ) -> tuple[list[tuple[object, ...]], np.ndarray, np.ndarray]:
    """Image-level predictions -> breast level: mean probability over a breast's views.

    ``frame_keys``: one (study_id, laterality) per image. Returns the keys, the breast label
    (the first non-NaN label of its images) and the averaged scores, in first-seen order.
    """
    y = np.asarray(y_true, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    order: dict[tuple[object, ...], list[int]] = {}
    for i, k in enumerate(frame_keys):
        order.setdefault(tuple(k), []).append(i)
    keys = list(order)
    ys = np.array([next((y[i] for i in ix if np.isfinite(y[i])), np.nan) for ix in order.values()])
    ss = np.stack([s[ix].mean(axis=0) for ix in order.values()])
    return keys, ys, ss
