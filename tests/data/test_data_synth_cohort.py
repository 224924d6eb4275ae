"""The data layer on the shared synthetic cohort (real generator + real preprocessing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mammofm.data import BOX_CLASSES, FourViewExamDataset, MammoImageDataset, collate, load_cohort
from mammofm.data import transforms as T
from mammofm.data.images import read_mask

pytestmark = pytest.mark.slow   # builds the session cohort when run alone


def _mask_box(mask: np.ndarray) -> list[float]:
    ys, xs = np.nonzero(mask)
    return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]


def test_prepared_cohort_boxes_match_masks(prepared_cohort: Path) -> None:
    c = load_cohort(prepared_cohort)
    assert len(c.manifest) and set(c.manifest["study_id"]) <= set(c.exams)
    h, w = (int(c.manifest["out_height"].iloc[0]), int(c.manifest["out_width"].iloc[0])) \
        if "out_height" in c.manifest.columns else (256, 160)
    a = c.annotations[c.annotations["kind"].isin(BOX_CLASSES)]
    assert len(a) > 0
    assert ((a["x0"] >= 0) & (a["x1"] <= w) & (a["y0"] >= 0) & (a["y1"] <= h)).all()
    with_mask = a[a["mask_path"].astype(str) != ""]
    assert len(with_mask) > 0
    scale = dict(zip(c.manifest["image_id"], c.manifest["scale"].astype(float)))
    for _, r in with_mask.iterrows():
        m = read_mask(r["mask_path"])
        if not m.any():
            continue
        # nearest-neighbour resampling may drop a thin edge row of the mask (one output
        # pixel) or shift it by one original pixel (`scale` output pixels)
        tol = 1.0 + max(1.0, scale[r["image_id"]])
        mb, box = np.array(_mask_box(m), float), np.array([r["x0"], r["y0"], r["x1"], r["y1"]])
        if r["kind"] == "calcification":   # dots: downsampling drops some, the box is an envelope
            assert (mb[:2] >= box[:2] - tol).all() and (mb[2:] <= box[2:] + tol).all()
        else:
            np.testing.assert_allclose(mb, box, atol=tol)


def test_prepared_cohort_datasets(prepared_cohort: Path) -> None:
    c = load_cohort(prepared_cohort)
    four = FourViewExamDataset(c.manifest, c.annotations)
    assert len(four) == c.manifest["study_id"].nunique()
    item = four[0]
    assert item["images"].shape[:2] == (4, 1) and item["view_present"].dtype == torch.bool
    ds = MammoImageDataset(c.manifest, c.annotations, transform=T.default_augment(0))
    lesion = int(np.flatnonzero(ds.manifest["image_id"].isin(
        c.annotations.loc[c.annotations["mask_path"].astype(str) != "", "image_id"]))[0])
    it = ds[lesion]
    assert it["boxes"].shape[0] >= 1 and float(it["mask"].sum()) > 0
    mb = _mask_box(it["mask"][0].numpy() > 0)
    boxes = it["boxes"].numpy()   # the augmented mask lies within the union of augmented boxes
    assert mb[0] >= boxes[:, 0].min() - 1.5 and mb[2] <= boxes[:, 2].max() + 1.5
    assert mb[1] >= boxes[:, 1].min() - 1.5 and mb[3] <= boxes[:, 3].max() + 1.5
    batch = collate([ds[i] for i in range(4)])
    assert batch["image"].shape[0] == 4 and len(batch["boxes"]) == 4
