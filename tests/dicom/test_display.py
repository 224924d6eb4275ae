"""Modality LUT, VOI LUT sequence, windows (LINEAR, LINEAR_EXACT, SIGMOID), MONOCHROME1:
the integer-table path must equal pydicom's own float arithmetic to within one output level."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut, apply_voi_lut

from mammofm.dicom import DicomError, display_map, read_image
from mammofm.dicom.display import window_output_range


def _norm(v, lo, hi, invert=False):
    f = np.clip((np.asarray(v, np.float64) - lo) / (hi - lo), 0, 1)
    return (1 - f if invert else f) * 65535


def test_modality_lut_sequence_matches_pydicom(testfile):
    path = testfile("mlut_18.dcm")
    ds = pydicom.dcmread(path)
    assert "ModalityLUTSequence" in ds
    m = apply_modality_lut(ds.pixel_array, ds)
    want = _norm(m, m.min(), m.max())
    got = read_image(path).pixels
    assert np.abs(got - want).max() <= 1


def test_voi_lut_sequence_matches_pydicom(testfile):
    path = testfile("vlut_04.dcm")
    ds = pydicom.dcmread(path)
    depth = int(ds.VOILUTSequence[0].LUTDescriptor[2])
    want = _norm(apply_voi_lut(ds.pixel_array, ds), 0, 2**depth - 1)
    im = read_image(path)
    assert im.voi == "VOI LUT 0"
    assert np.abs(im.pixels - want).max() <= 1


@pytest.fixture()
def ct(testfile):
    ds = pydicom.dcmread(testfile("CT_small.dcm"))
    ds.WindowCenter = [40.0, 400.0]
    ds.WindowWidth = [80.0, 1500.0]
    return ds


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
@pytest.mark.parametrize("window", [0, 1])
def test_windows_match_pydicom(ct, function, window):
    ct.VOILUTFunction = function
    arr = ct.pixel_array
    ref = apply_voi_lut(apply_modality_lut(arr, ct), ct, index=window)
    lo, hi = window_output_range(ct)
    want = _norm(ref, lo, hi)
    dmap = display_map(ct, arr, window=window)
    assert dmap.voi.startswith(f"window {window} {function}")
    assert np.abs(dmap.apply(arr).astype(float) - want).max() <= 1


def test_voi_function_override_and_window_choice_change_the_image(ct):
    arr = ct.pixel_array
    lin0 = display_map(ct, arr, window=0).apply(arr)
    lin1 = display_map(ct, arr, window=1).apply(arr)
    sig0 = display_map(ct, arr, window=0, voi_function="SIGMOID").apply(arr)
    assert not np.array_equal(lin0, lin1)
    assert not np.array_equal(lin0, sig0)
    ct.VOILUTFunction = "SIGMOID"
    assert np.array_equal(display_map(ct, arr, window=0).apply(arr), sig0)


def test_window_output_range_is_pydicoms(ct):
    ct.VOILUTFunction = "LINEAR"
    extremes = np.array([-1e6, 1e6])
    got = apply_voi_lut(extremes, ct, index=0)
    assert tuple(got) == window_output_range(ct)


def test_monochrome1_is_inverted(testfile):
    path = testfile("RG1_UNCR.dcm")
    ds = pydicom.dcmread(path)
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    ref = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds)
    lo, hi = window_output_range(ds)
    want = _norm(ref, lo, hi, invert=True)
    im = read_image(path)
    assert np.abs(im.pixels - want).max() <= 1
    # higher = brighter: the raw (dark-is-high) values anti-correlate with the output
    assert np.corrcoef(ds.pixel_array[::8, ::8].ravel(), im.pixels[::8, ::8].ravel())[0, 1] < -0.9


def test_no_voi_stretches_min_max_and_is_affine(cbis):
    im = read_image(cbis[0])
    assert im.voi == "min-max"
    assert im.pixels.min() == 0 and im.pixels.max() == 65535


def test_bad_window_index_names_the_file(testfile):
    path = testfile("MR_small.dcm")
    with pytest.raises(DicomError) as err:
        read_image(path, window=5)
    assert str(path) in str(err.value) and "window index 5" in str(err.value)
    with pytest.raises(DicomError, match="VOI LUT function"):
        read_image(path, voi_function="CUBIC")


def test_invalid_voi_lut_falls_back_to_the_window_and_says_so(testfile):
    ds = pydicom.dcmread(testfile("vlut_04.dcm"))
    arr = ds.pixel_array
    good = display_map(ds, arr)
    assert good.voi == "VOI LUT 0"
    item = ds.VOILUTSequence[0]
    item.LUTData = list(item.LUTData)[:100]  # descriptor says 256 entries
    ds.WindowCenter, ds.WindowWidth = 128.0, 200.0
    dm = display_map(ds, arr)
    assert dm.voi.startswith("window 0 LINEAR c=128 w=200 (VOI LUT 0 invalid: 100 entries")
    ref = apply_voi_lut(arr, _without_lut(ds), index=0)
    assert np.abs(dm.apply(arr) - _norm(ref, *window_output_range(ds))).max() <= 1
    del ds.WindowCenter, ds.WindowWidth
    dm = display_map(ds, arr)
    assert dm.voi.startswith("min-max (VOI LUT 0 invalid")
    assert dm.apply(arr).max() == 65535


def _without_lut(ds):
    out = pydicom.Dataset()
    for kw in ("WindowCenter", "WindowWidth", "BitsStored", "PixelRepresentation",
               "PhotometricInterpretation"):
        setattr(out, kw, getattr(ds, kw))
    return out
