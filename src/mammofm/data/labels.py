"""Attach per-breast labels (from Exam records) to a per-image manifest.

An image gets the labels of its breast: rows of ``birads.label_rows(exams)`` are merged on
(study_id, laterality). Unknown stays NaN (never 0). A dataset may state labels the Exam schema
cannot carry (RSNA's ``cancer`` has no finding kind); those come in ``overrides`` and win where
they are not NaN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from mammofm.birads import Exam, label_rows

#: numeric label columns of label_rows (the string forms ``composition`` and ``birads`` ride along)
LABEL_COLUMNS: tuple[str, ...] = (
    "composition_class", "mass", "calcification", "suspicious_calcification", "asymmetry",
    "architectural_distortion", "birads_class", "malignant",
)
_TEXT_LABELS: tuple[str, ...] = ("composition", "birads")
_KEYS = ["study_id", "laterality"]


def label_table(exams: Mapping[str, Exam] | Iterable[Exam]) -> pd.DataFrame:
    """One row per (study_id, breast) with every label column (floats, NaN = unknown)."""
    records = list(exams.values()) if isinstance(exams, Mapping) else list(exams)
    rows = label_rows(records)
    cols = [*_KEYS, *_TEXT_LABELS, *LABEL_COLUMNS]
    table = pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame(columns=cols)
    for c in LABEL_COLUMNS:
        table[c] = pd.to_numeric(table[c], errors="coerce").astype(float)
    table["study_id"] = table["study_id"].astype(str)
    table["laterality"] = table["laterality"].astype(str)
    return table


def attach_labels(manifest: pd.DataFrame, exams: Mapping[str, Exam] | Iterable[Exam],
                  overrides: pd.DataFrame | None = None) -> pd.DataFrame:
    """The manifest with label columns merged in by (study_id, laterality); row order kept.

    Existing label columns in ``manifest`` are replaced. ``overrides``: a table keyed by
    study_id + laterality whose non-NaN values replace the derived labels.
    """
    table = label_table(exams)
    if overrides is not None and len(overrides):
        ov = overrides.copy()
        ov["study_id"] = ov["study_id"].astype(str)
        ov["laterality"] = ov["laterality"].astype(str)
        table = table.merge(ov, on=_KEYS, how="outer", suffixes=("", "__ov"))
        for c in ov.columns:
            if c in _KEYS:
                continue
            if f"{c}__ov" in table.columns:
                table[c] = table[f"{c}__ov"].where(table[f"{c}__ov"].notna(), table[c])
                table = table.drop(columns=f"{c}__ov")
        table = table.drop_duplicates(_KEYS, keep="last")
    drop = [c for c in table.columns if c not in _KEYS and c in manifest.columns]
    base = manifest.drop(columns=drop).copy()
    base["__order"] = np.arange(len(base))
    left_keys = base[_KEYS].astype(str)
    base["__sid"], base["__lat"] = left_keys["study_id"].values, left_keys["laterality"].values
    right = table.rename(columns={"study_id": "__sid", "laterality": "__lat"})
    out = base.merge(right, on=["__sid", "__lat"], how="left")
    out = out.sort_values("__order").drop(columns=["__order", "__sid", "__lat"])
    for c in LABEL_COLUMNS:
        if c in out.columns:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out.reset_index(drop=True)
