"""Per-breast aggregation: one score per (study, breast) from the scores of its views.

Labels belong to a breast, not to an image (docs/CONTRACTS.md), so per-image scores are
averaged over the breast's views (CC and MLO) before a metric is computed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

BREAST_KEYS: tuple[str, ...] = ("study_id", "laterality")


def per_breast(frame: pd.DataFrame, scores: np.ndarray,
               label_columns: Sequence[str] = ()) -> tuple[pd.DataFrame, np.ndarray]:
    """(one row per breast with its ids, patient and labels; mean scores of its images).

    ``scores`` is (N,) or (N, K), row-aligned with ``frame``. Breasts keep first-seen order.
    """
    s = np.asarray(scores, dtype=np.float64)
    if len(s) != len(frame):
        raise ValueError(f"{len(s)} scores for {len(frame)} images")
    missing = [c for c in BREAST_KEYS if c not in frame.columns]
    if missing:
        raise KeyError(f"per-breast aggregation needs column(s) {', '.join(missing)}")
    keys = frame[list(BREAST_KEYS)].astype(str).agg("\x1f".join, axis=1).to_numpy()
    codes, uniques = pd.factorize(keys, sort=False)
    counts = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    flat = s.reshape(len(s), -1)
    sums = np.zeros((len(uniques), flat.shape[1]))
    np.add.at(sums, codes, flat)
    agg = sums / counts[:, None]
    agg = agg[:, 0] if s.ndim == 1 else agg
    first = pd.Series(np.arange(len(frame))).groupby(codes, sort=True).first().to_numpy()
    keep = [c for c in (*BREAST_KEYS, "patient_id", "split", *label_columns)
            if c in frame.columns]
    breasts = frame.iloc[first][list(dict.fromkeys(keep))].reset_index(drop=True)
    breasts["n_views"] = counts.astype(int)
    return breasts, agg
