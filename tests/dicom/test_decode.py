"""Every transfer syntax decodes, the decoders agree, and each is the other's fallback."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from mammofm.dicom import DECODERS, DicomError, decode_stored, read_header, read_image


@pytest.mark.parametrize("name,syntax", [
    ("MR_small_RLE.dcm", "1.2.840.10008.1.2.5"),  # RLE Lossless
    ("MR_small_jp2klossless.dcm", "1.2.840.10008.1.2.4.90"),  # JPEG 2000 lossless
    ("MR_small_jpeg_ls_lossless.dcm", "1.2.840.10008.1.2.4.80"),  # JPEG-LS lossless
])
def test_lossless_syntaxes_equal_the_uncompressed_original(testfile, name, syntax):
    ref = read_image(testfile("MR_small.dcm"))
    im = read_image(testfile(name))
    assert im.transfer_syntax == syntax
    assert im.pixels.dtype == np.uint16 and im.pixels.shape == (64, 64)
    assert np.array_equal(im.pixels, ref.pixels)


def test_jpeg2000_monochrome1_cr_matches_uncompressed(testfile):
    a = read_image(testfile("RG3_J2KR.dcm"))
    b = read_image(testfile("RG3_UNCR.dcm"))
    assert a.photometric == "MONOCHROME1"
    assert np.array_equal(a.pixels, b.pixels)


@pytest.mark.parametrize("name", ["JPEG-LL.dcm", "JPGExtended.dcm", "JPEG-lossy.dcm"])
def test_jpeg_lossless_and_12bit_extended_decode(testfile, name):
    im = read_image(testfile(name))
    ds = pydicom.dcmread(testfile(name), stop_before_pixels=True)
    assert im.pixels.shape == (ds.Rows, ds.Columns)
    assert im.pixels.std() > 1000  # an image, not a flat field


def test_12bit_jpeg_extended_that_pydicom_cannot_decode_falls_back_to_dicomsdl(testfile):
    path = testfile("JPEG-lossy.dcm")
    with pytest.raises(DicomError) as err:
        read_image(path, decoder="pydicom")
    assert str(path) in str(err.value)
    im = read_image(path)  # auto
    assert im.decoder == "dicomsdl"
    # the other 12-bit JPEG Extended file decodes in both, to within one stored value (lossy
    # JPEG decoders may round differently)
    h = read_header(testfile("JPGExtended.dcm"))
    a, _ = decode_stored(h, "dicomsdl")
    b, _ = decode_stored(h, "pydicom")
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1


def test_decoders_agree_on_a_real_rle_mammogram(cbis):
    a = read_image(cbis[3], decoder="dicomsdl")
    b = read_image(cbis[3], decoder="pydicom")
    assert a.decoder == "dicomsdl" and b.decoder == "pydicom"
    assert np.array_equal(a.pixels, b.pixels)


def test_auto_falls_back_when_the_fast_decoder_fails(testfile, monkeypatch):
    path = testfile("MR_small_RLE.dcm")
    want = read_image(path).pixels

    def broken(p, h):
        raise RuntimeError("simulated decoder failure")

    monkeypatch.setitem(DECODERS, "dicomsdl", (broken, DECODERS["dicomsdl"][1]))
    im = read_image(path)
    assert im.decoder == "pydicom"
    assert np.array_equal(im.pixels, want)


def test_auto_does_not_use_dicomsdl_where_it_is_wrong(testfile):
    # signed 13-bit J2K with a pixel-representation mismatch: dicomsdl does not sign-extend
    im = read_image(testfile("J2K_pixelrep_mismatch.dcm"))
    assert im.decoder == "pydicom"
    # a truncated native file crashes dicomsdl; it must never be tried on native data
    im2 = read_image(testfile("MR_small.dcm"))
    assert im2.decoder == "pydicom"


def test_unknown_decoder_name_is_refused(testfile):
    with pytest.raises(ValueError, match="unknown decoder"):
        read_image(testfile("MR_small.dcm"), decoder="nope")


def test_32bit_stored_values_take_the_float_path(testfile):
    im = read_image(testfile("rtdose_1frame.dcm"))
    assert im.pixels.dtype == np.uint16 and im.voi == "min-max"
    assert im.pixels.min() == 0 and im.pixels.max() == 65535


@pytest.mark.parametrize("decoder", ["gdcm", "pylibjpeg", "pydicom", "dicomsdl"])
def test_each_named_decoder_gives_the_same_pixels(testfile, decoder):
    ref = read_image(testfile("MR_small.dcm")).pixels
    im = read_image(testfile("MR_small_jp2klossless.dcm"), decoder=decoder)
    assert im.decoder == decoder
    assert np.array_equal(im.pixels, ref)
