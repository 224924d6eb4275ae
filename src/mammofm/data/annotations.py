"""Carry lesion annotations from the original pixel frame into the preprocessed frame.

Boxes go through ``FrameTransform.from_row`` of their image's manifest row; masks (when the
row has a mask file) are rewritten as PNG under ``out_dir/masks`` in the preprocessed frame.
A box the crop cuts keeps only what is left of it (see ``crop_box_of``); a lesion wholly
outside the crop keeps its row with NaN box (the datasets skip it). Annotations of images that
failed preprocessing or are not in the manifest are dropped.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from mammofm.common.atomic import atomic_write_bytes
from mammofm.common.geometry import FrameTransform
from mammofm.common.manifest import ANNOTATION_COLUMNS

from .images import read_mask


def _out_size(row: pd.Series, out_size: tuple[int, int] | None) -> tuple[int, int]:
    if out_size is not None:
        return out_size
    if "out_height" in row and pd.notna(row.get("out_height")):
        return int(row["out_height"]), int(row["out_width"])
    img = cv2.imread(str(row["image_path"]), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FileNotFoundError(f"{row['image_path']}: cannot read the preprocessed image to "
                                "learn the output size (give out_size)")
    return int(img.shape[0]), int(img.shape[1])


def crop_box_of(box: np.ndarray, ft: FrameTransform, mask: np.ndarray | None
                ) -> np.ndarray | None:
    """The part of an original-frame box that survives the crop (None if nothing does).

    With a mask, a lesion the crop cuts gets the box of its mask's remaining pixels (exact);
    without one, the box is clipped to the crop. Either way the box stays on the image content
    rather than spilling into the padding.
    """
    y0, x0, y1, x1 = ft.crop_box
    c = np.array([max(box[0], x0), max(box[1], y0), min(box[2], x1), min(box[3], y1)])
    if c[2] <= c[0] or c[3] <= c[1]:
        return None
    inside = box[0] >= x0 and box[1] >= y0 and box[2] <= x1 and box[3] <= y1
    if mask is not None and not inside:
        part = mask[y0:y1, x0:x1]
        ys, xs = np.nonzero(part)
        if not len(xs):
            return None
        m = np.array([xs.min() + x0, ys.min() + y0, xs.max() + 1 + x0, ys.max() + 1 + y0],
                     dtype=np.float64)
        c = np.array([max(c[0], m[0]), max(c[1], m[1]), min(c[2], m[2]), min(c[3], m[3])])
        if c[2] <= c[0] or c[3] <= c[1]:
            return None
    return c


def _mask_name(row: pd.Series, index: int) -> str:
    return f"{row['image_id']}_{int(row.get('finding_index', index) or 0)}_{index}.png"


def map_annotations(annotations: pd.DataFrame, preprocessed_manifest: pd.DataFrame,
                    out_dir: str | os.PathLike[str] | None = None,
                    out_size: tuple[int, int] | None = None) -> pd.DataFrame:
    """Original-frame annotations -> preprocessed frame (ANNOTATION_COLUMNS, same row order).

    ``out_size`` (H, W): the preprocessed size; when None it is read from the manifest's
    out_height/out_width or from the image. Mask paths in the result are relative to
    ``out_dir`` (``masks/<name>.png``); without ``out_dir`` masks are not rewritten and
    mask_path is left empty.
    """
    man = preprocessed_manifest
    if "status" in man.columns:
        man = man[man["status"].fillna("ok").astype(str) != "failed"]
    rows_by_id = {str(r["image_id"]): r for _, r in man.iterrows()}
    transforms: dict[str, FrameTransform] = {}
    out_rows = []
    base = Path(out_dir) if out_dir is not None else None
    for i, (_, ann) in enumerate(annotations.iterrows()):
        image_id = str(ann["image_id"])
        row = rows_by_id.get(image_id)
        if row is None:
            continue
        if image_id not in transforms:
            transforms[image_id] = FrameTransform.from_row(row, _out_size(row, out_size))
        ft = transforms[image_id]
        rec = {c: ann.get(c) for c in ANNOTATION_COLUMNS}
        box = np.array([ann["x0"], ann["y0"], ann["x1"], ann["y1"]], dtype=np.float64)
        mp = ann.get("mask_path")
        mask = None
        if isinstance(mp, str) and mp:
            mask = read_mask(mp)
            if mask.shape != (ft.orig_height, ft.orig_width):
                raise ValueError(f"{mp}: mask is {mask.shape[0]}x{mask.shape[1]} but image "
                                 f"{image_id} is {ft.orig_height}x{ft.orig_width}")
        if np.isfinite(box).all():
            kept = crop_box_of(box, ft, mask)
            mapped = ft.boxes_to_output(kept[None])[0] if kept is not None else \
                np.full(4, np.nan)
            rec["x0"], rec["y0"], rec["x1"], rec["y1"] = (float(v) for v in mapped)
        rec["mask_path"] = ""
        if mask is not None and base is not None:
            out = ft.mask_to_output(mask.astype(np.uint8) * 255)
            rel = Path("masks") / _mask_name(ann, i)
            ok, buf = cv2.imencode(".png", out)
            if not ok:  # pragma: no cover - cv2 encodes any uint8 array
                raise ValueError(f"{rel}: cannot encode mask")
            atomic_write_bytes(base / rel, buf.tobytes())
            rec["mask_path"] = str(rel)
        out_rows.append(rec)
    df = pd.DataFrame(out_rows, columns=list(ANNOTATION_COLUMNS))
    for c in ("x0", "y0", "x1", "y1"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return df
