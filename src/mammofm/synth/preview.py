"""Contact sheet of a cohort: a few exams, four views each, lesion boxes drawn (PNG, Agg)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from mammofm.common.atomic import atomic_path

_COLOURS = {"mass": "#ff3b30", "calcification": "#ffd60a", "asymmetry": "#34c759",
            "architectural_distortion": "#ff9f0a", "lymph_node": "#64d2ff", "implant": "#bf5af2"}
_ORDER = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))  # the reading-room hanging


def display_image(path: str | os.PathLike[str]) -> np.ndarray:
    """A DICOM as the viewer shows it: first window (SIGMOID or linear), MONOCHROME1 inverted."""
    import pydicom
    from pydicom.pixels import apply_voi_lut

    ds = pydicom.dcmread(path)
    arr = ds.pixel_array.astype(np.float64)
    if "WindowCenter" in ds:
        arr = apply_voi_lut(arr, ds, index=0)
    lo, hi = float(arr.min()), float(arr.max())
    img = (arr - lo) / max(hi - lo, 1e-9)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        img = 1.0 - img
    return img


def contact_sheet(cohort_dir: str | os.PathLike[str], out_png: str | os.PathLike[str],
                  n_exams: int = 4, prefer_findings: bool = True) -> Path:
    """Draw ``n_exams`` exams (those with findings first) in hanging order with boxes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    cohort = Path(cohort_dir)
    man = pd.read_parquet(cohort / "manifest.parquet")
    man = man[man["status"] == "ok"]
    ann = pd.read_parquet(cohort / "annotations.parquet")
    studies = list(dict.fromkeys(man["study_id"]))
    if prefer_findings:
        with_f = set(ann["study_id"])
        studies = [s for s in studies if s in with_f] + [s for s in studies if s not in with_f]
    studies = studies[:n_exams]
    fig, axes = plt.subplots(len(studies), 4, figsize=(8, 3.2 * len(studies)), squeeze=False,
                             facecolor="black")
    for r, study in enumerate(studies):
        rows = man[man["study_id"] == study]
        for c, (lat, view) in enumerate(_ORDER):
            ax = axes[r][c]
            ax.set_axis_off()
            hit = rows[(rows["laterality"] == lat) & (rows["view"] == view)]
            if hit.empty:
                continue
            row = hit.iloc[0]
            ax.imshow(display_image(cohort / row["source_path"]), cmap="gray", vmin=0, vmax=1)
            for _, a in ann[ann["image_id"] == row["image_id"]].iterrows():
                col = _COLOURS.get(a["kind"], "white")
                ax.add_patch(Rectangle((a["x0"], a["y0"]), a["x1"] - a["x0"], a["y1"] - a["y0"],
                                       fill=False, edgecolor=col, linewidth=0.8))
                ax.text(a["x0"], a["y0"] - 3, f"{a['kind'][:5]} {a['assessment']}", color=col,
                        fontsize=5)
            ax.set_title(f"{lat}{view} {row['composition']} {row['photometric'][-1]} "
                         f"{row['transfer_syntax']}", color="white", fontsize=6)
    fig.tight_layout(pad=0.3)
    out_png = Path(out_png)
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, dpi=130, facecolor="black", format="png")
    plt.close(fig)
    return out_png
