"""The manifest: one row per image, the table every dataset (real or synthetic) is reduced to.

Columns are fixed by DESIGN.md; more columns are allowed. Written as Parquet (default) or CSV,
atomically. Tuple-valued columns (crop_box, pad) are stored as JSON strings in CSV and as lists
in Parquet; ``read_manifest`` gives them back as tuples either way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .atomic import atomic_path

MANIFEST_COLUMNS: tuple[str, ...] = (
    "image_id", "patient_id", "study_id", "laterality", "view", "source_path", "image_path",
    "orig_height", "orig_width", "crop_box", "scale", "pad", "flipped", "pixel_spacing_mm",
    "dataset", "split", "status", "error",
)
TUPLE_COLUMNS: tuple[str, ...] = ("crop_box", "pad")
#: lesion annotations: one row per lesion per image, keyed by image_id. Boxes x0, y0, x1, y1 in
#: the pixel frame of the image the table belongs to (original for a source table, output for a
#: preprocessed one); mask_path a PNG in the same frame (empty when no mask).
ANNOTATION_COLUMNS: tuple[str, ...] = (
    "image_id", "study_id", "laterality", "view", "finding_index", "kind", "x0", "y0", "x1", "y1",
    "mask_path", "pathology",
)


class ManifestError(ValueError):
    """A manifest file that cannot be used (missing columns, unreadable), naming the file."""


def empty_row() -> dict[str, Any]:
    return {c: None for c in MANIFEST_COLUMNS}


def _to_tuple(v: Any) -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, str):
        v = v.strip()
        if not v:
            return None
        v = json.loads(v)
    return tuple(int(x) if float(x).is_integer() else float(x) for x in v)


def to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows -> a DataFrame with every manifest column present, in the canonical order first."""
    df = pd.DataFrame(rows)
    for c in MANIFEST_COLUMNS:
        if c not in df.columns:
            df[c] = None
    extra = [c for c in df.columns if c not in MANIFEST_COLUMNS]
    return df[list(MANIFEST_COLUMNS) + extra]


def write_manifest(df: pd.DataFrame | list[dict[str, Any]], path: str | os.PathLike[str],
                   fmt: str | None = None) -> Path:
    """Write atomically; the format follows the suffix (.parquet / .csv) unless ``fmt`` says."""
    if not isinstance(df, pd.DataFrame):
        df = to_frame(df)
    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "parquet")
    out = df.copy()
    for c in TUPLE_COLUMNS:
        if c in out.columns:
            if fmt == "csv":
                out[c] = [None if v is None else json.dumps(list(v)) for v in out[c]]
            else:
                out[c] = [None if v is None else [float(x) for x in v] for v in out[c]]
    with atomic_path(path) as tmp:
        if fmt == "csv":
            out.to_csv(tmp, index=False)
        elif fmt == "parquet":
            out.to_parquet(tmp, index=False)
        else:
            raise ValueError(f"unknown manifest format {fmt!r} (parquet or csv)")
    return path


def read_manifest(path: str | os.PathLike[str], required: tuple[str, ...] = ("image_id",)
                  ) -> pd.DataFrame:
    """Read a Parquet or CSV manifest; raise ManifestError naming the file and missing columns."""
    path = Path(path)
    if not path.exists():
        raise ManifestError(f"{path}: manifest not found")
    try:
        if path.suffix.lower() == ".csv":
            df = pd.read_csv(path, dtype={"image_id": str, "patient_id": str, "study_id": str})
        else:
            df = pd.read_parquet(path)
    except Exception as exc:  # pyarrow / pandas raise many types
        raise ManifestError(f"{path}: cannot read manifest ({type(exc).__name__}: {exc})") from exc
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ManifestError(f"{path}: manifest lacks column(s) {', '.join(missing)}")
    for c in TUPLE_COLUMNS:
        if c in df.columns:
            df[c] = [_to_tuple(v) for v in df[c]]
    return df
