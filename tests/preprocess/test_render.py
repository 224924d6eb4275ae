"""The fast renderer equals the geometry contract's reference path; config round trip."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from pydicom import dcmread

from mammofm.common.geometry import fit_transform
from mammofm.dicom import display_map
from mammofm.preprocess import PreprocessConfig, render
from mammofm.preprocess.resize import area_resize
from mg_factory import breast_image, write_mg


@pytest.mark.parametrize("window,function,affine", [
    (None, None, True), ((2000, 3000), "SIGMOID", False), ((1500, 1000), "LINEAR", False)])
@pytest.mark.parametrize("flipped", [False, True])
@pytest.mark.parametrize("bits", [16, 8])
def test_render_matches_frame_transform(tmp_path, window, function, affine, flipped, bits):
    stored, _ = breast_image(h=600, w=380, seed=4)
    ds = dcmread(write_mg(tmp_path / "r.dcm", stored, window=window, function=function))
    dmap = display_map(ds, stored)
    assert (dmap.affine is not None) == affine
    t = fit_transform(stored.shape, (40, 10, 560, 300), (240, 150), flipped)
    got = render(stored, dmap, t, bits).astype(np.float32)
    want = t.image_to_output(dmap.apply(stored)).astype(np.float32)
    if bits == 8:
        want = want * 255 / 65535
    top = 255 if bits == 8 else 65535
    assert got.shape == (240, 150)
    assert np.abs(got - want).mean() < 0.01 * top
    assert np.corrcoef(got.ravel(), want.ravel())[0, 1] > 0.99


def test_area_resize_close_to_opencv_area():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, (1000, 700))
    img = cv2.GaussianBlur(noise, (0, 0), 15)  # detail coarser than the smallest output pixel
    img = ((img - img.min()) / np.ptp(img) * 65535).astype(np.uint16)
    for size in ((300, 210), (700, 490), (90, 63), (337, 123)):
        ref = cv2.resize(img, size[::-1], interpolation=cv2.INTER_AREA).astype(float)
        got = area_resize(img, size).astype(float)
        assert got.shape == size
        assert np.abs(got - ref).mean() < 0.01 * 65535
        assert np.corrcoef(got.ravel(), ref.ravel())[0, 1] > 0.99
    assert area_resize(img, (2000, 1400)).shape == (2000, 1400)


def test_config_round_trip_and_fingerprint():
    cfg = PreprocessConfig(size=(256, 160), bit_depth=8, window=1)
    back = PreprocessConfig.from_dict(cfg.to_dict())
    assert back == cfg
    assert PreprocessConfig(size=(256, 160), bit_depth=8, window=1, workers=4).fingerprint() \
        == cfg.fingerprint()
    other = PreprocessConfig(size=(256, 168), bit_depth=8, window=1)
    assert other.fingerprint() != cfg.fingerprint()
    with pytest.raises(ValueError):
        PreprocessConfig(bit_depth=12)


@pytest.mark.parametrize("level", [0, 1, 9])
@pytest.mark.parametrize("dtype", [np.uint16, np.uint8])
def test_png_is_lossless_at_every_level(tmp_path, level, dtype):
    from mammofm.preprocess import read_png, write_png

    img = np.random.default_rng(level).integers(0, np.iinfo(dtype).max, (64, 40)).astype(dtype)
    back = read_png(write_png(tmp_path / "x.png", img, level))
    assert back.dtype == dtype and np.array_equal(back, img)
