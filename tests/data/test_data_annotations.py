from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from mammofm.common.geometry import fit_transform
from mammofm.data import map_annotations
from mammofm.data.images import read_mask


@pytest.mark.parametrize("flipped", [False, True])
def test_boxes_and_masks_follow_the_frame_transform(tmp_path: Path, flipped: bool) -> None:
    oh, ow = 200, 120
    ft = fit_transform((oh, ow), (20, 10, 180, 110), (64, 40), flipped)
    mask = np.zeros((oh, ow), np.uint8)
    mask[60:100, 30:70] = 255
    cv2.imwrite(str(tmp_path / "m.png"), mask)
    man = pd.DataFrame([{"image_id": "i1", "orig_height": oh, "orig_width": ow,
                         "crop_box": ft.crop_box, "scale": ft.scale, "pad": ft.pad,
                         "flipped": flipped, "status": "ok"},
                        {"image_id": "i2", "status": "failed"}])
    ann = pd.DataFrame([{"image_id": "i1", "study_id": "s", "laterality": "L", "view": "CC",
                         "finding_index": 0, "kind": "mass", "x0": 30.0, "y0": 60.0,
                         "x1": 70.0, "y1": 100.0, "mask_path": str(tmp_path / "m.png"),
                         "pathology": "benign"},
                        {"image_id": "i2", "study_id": "s", "laterality": "L", "view": "MLO",
                         "finding_index": 0, "kind": "mass", "x0": 1.0, "y0": 1.0,
                         "x1": 2.0, "y1": 2.0, "mask_path": "", "pathology": None}])
    out = map_annotations(ann, man, out_dir=tmp_path / "prep", out_size=(64, 40))
    assert list(out["image_id"]) == ["i1"]           # failed image dropped
    box = out.loc[0, ["x0", "y0", "x1", "y1"]].to_numpy(float)
    np.testing.assert_allclose(box, ft.boxes_to_output(np.array([[30, 60, 70, 100]]))[0])
    m = read_mask(tmp_path / "prep" / out.loc[0, "mask_path"])
    assert m.shape == (64, 40)
    ys, xs = np.nonzero(m)
    np.testing.assert_allclose([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], box, atol=1.0)
    if flipped:   # lesion in the left half of the original lands in the right half
        assert box[0] > 40 / 2 - 10


def test_box_cut_by_the_crop_keeps_what_is_left(tmp_path: Path) -> None:
    oh, ow = 200, 120
    ft = fit_transform((oh, ow), (20, 0, 180, 80), (64, 40), False)   # crop drops x >= 80
    mask = np.zeros((oh, ow), np.uint8)
    mask[50:100, 60:110] = 255          # a lesion straddling the crop's right edge ...
    mask[50:60, 60:110] = 0             # ... whose top rows inside the crop are empty
    mask[50:60, 85:110] = 255
    cv2.imwrite(str(tmp_path / "m.png"), mask)
    man = pd.DataFrame([{"image_id": "i", "orig_height": oh, "orig_width": ow,
                         "crop_box": ft.crop_box, "scale": ft.scale, "pad": ft.pad,
                         "flipped": False}])
    row = {"image_id": "i", "study_id": "s", "laterality": "L", "view": "CC",
           "finding_index": 0, "kind": "mass", "x0": 60.0, "y0": 50.0, "x1": 110.0,
           "y1": 100.0, "pathology": None}
    ann = pd.DataFrame([{**row, "mask_path": str(tmp_path / "m.png")},
                        {**row, "finding_index": 1, "mask_path": ""},
                        {**row, "finding_index": 2, "x0": 90.0, "x1": 110.0, "mask_path": ""}])
    out = map_annotations(ann, man, out_dir=tmp_path / "p", out_size=(64, 40))
    with_mask = out.loc[0, ["x0", "y0", "x1", "y1"]].to_numpy(float)
    np.testing.assert_allclose(with_mask, ft.boxes_to_output(np.array([[60, 60, 80, 100]]))[0])
    no_mask = out.loc[1, ["x0", "y0", "x1", "y1"]].to_numpy(float)
    np.testing.assert_allclose(no_mask, ft.boxes_to_output(np.array([[60, 50, 80, 100]]))[0])
    assert out.loc[2, ["x0", "y0", "x1", "y1"]].isna().all()     # wholly cropped away
