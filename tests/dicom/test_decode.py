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


def test_auto_falls_back_when_the_fast_decoders_fail(testfile, monkeypatch):
    path = testfile("MR_small_RLE.dcm")
    want = read_image(path).pixels
    assert read_image(path).decoder == "rle"

    def broken(p, h):
        raise RuntimeError("simulated decoder failure")

    monkeypatch.setitem(DECODERS, "rle", (broken, DECODERS["rle"][1]))
    assert read_image(path).decoder == "dicomsdl"
    monkeypatch.setitem(DECODERS, "dicomsdl", (broken, DECODERS["dicomsdl"][1]))
    im = read_image(path)
    assert im.decoder == "pydicom"
    assert np.array_equal(im.pixels, want)


def test_rle_decoder_is_first_on_the_real_mammograms_and_agrees(cbis):
    for path in (cbis[0], cbis[7]):
        h = read_header(path)
        a, name = decode_stored(h)
        b, _ = decode_stored(h, "dicomsdl")
        c, _ = decode_stored(h, "pydicom")
        assert name == "rle" and a.dtype == np.uint16 and a.flags.writeable
        assert np.array_equal(a, b) and np.array_equal(a, c)


def _rle_file(tmp_path, arr, signed=False, fragments=1):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import (ExplicitVRLittleEndian, RLELossless,
                             SecondaryCaptureImageStorage, generate_uid)

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8 * arr.itemsize
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(signed)
    ds.PixelData = arr.tobytes()
    ds.compress(RLELossless, encoding_plugin="pydicom")
    if fragments > 1:  # the same frame split over several fragments
        frame = next(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1))
        cut = len(frame) // fragments
        parts = [frame[i * cut:(i + 1) * cut if i < fragments - 1 else None]
                 for i in range(fragments)]
        ds.PixelData = b"".join([b"\xfe\xff\x00\xe0\x00\x00\x00\x00"] + [
            b"\xfe\xff\x00\xe0" + len(x).to_bytes(4, "little") + x for x in parts]
        ) + b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    p = tmp_path / f"rle_{arr.dtype}_{fragments}.dcm"
    ds.save_as(p, enforce_file_format=True)
    return p


@pytest.mark.parametrize("dtype,signed,fragments", [
    (np.uint8, False, 1), (np.uint16, False, 1), (np.int16, True, 1), (np.uint16, False, 3)])
def test_rle_decoder_exact_on_8_and_16_bit_and_split_fragments(tmp_path, dtype, signed,
                                                                fragments):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    arr = rng.integers(info.min, info.max, (37, 53), endpoint=True).astype(dtype)
    arr[5:20, 10:40] = arr[5, 10]  # runs as well as literals
    p = _rle_file(tmp_path, arr, signed, fragments)
    h = read_header(p)
    got, name = decode_stored(h)
    assert name == "rle" and got.dtype == dtype
    assert np.array_equal(got, arr)
    assert np.array_equal(decode_stored(h, "pydicom")[0], arr)


def test_rle_decoder_refuses_a_truncated_frame_and_auto_says_why(tmp_path, testfile):
    data = testfile("MR_small_RLE.dcm").read_bytes()
    p = tmp_path / "rle_cut.dcm"
    p.write_bytes(data[: len(data) - 3000])
    h = read_header(p)
    with pytest.raises(DicomError, match="rle: truncated file"):
        decode_stored(h)


def test_header_records_where_the_pixel_data_starts(testfile):
    p = testfile("MR_small_RLE.dcm")
    h = read_header(p)
    raw = p.read_bytes()
    assert h.pixel_data_offset is not None
    assert raw[h.pixel_data_offset:h.pixel_data_offset + 4] == b"\xe0\x7f\x10\x00"
    assert read_header(testfile("rtplan.dcm")).pixel_data_offset is None


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


@pytest.mark.parametrize("decoder,name", [
    ("gdcm", "MR_small_jp2klossless.dcm"), ("pylibjpeg", "MR_small_jp2klossless.dcm"),
    ("pydicom", "MR_small_jp2klossless.dcm"), ("dicomsdl", "MR_small_jp2klossless.dcm"),
    ("rle", "MR_small_RLE.dcm")])
def test_each_named_decoder_gives_the_same_pixels(testfile, decoder, name):
    ref = read_image(testfile("MR_small.dcm")).pixels
    im = read_image(testfile(name), decoder=decoder)
    assert im.decoder == decoder
    assert np.array_equal(im.pixels, ref)


def test_decoding_into_a_frame_buffer_reuses_its_memory_and_matches(cbis, testfile):
    from mammofm.dicom import FrameBuffer

    buf = FrameBuffer()
    h0, h1 = read_header(cbis[0]), read_header(cbis[5])
    a, name = decode_stored(h0, buffer=buf)
    assert name == "dicomsdl"  # the decoder that writes into the buffer comes first
    assert np.array_equal(a, decode_stored(h0, "rle")[0])
    a_copy = a.copy()
    b, _ = decode_stored(h1, buffer=buf)
    assert np.shares_memory(a, b)  # the same memory, overwritten
    assert b.shape == (h1.rows, h1.columns)
    assert np.array_equal(b, decode_stored(h1, "rle")[0])
    assert not np.array_equal(a, a_copy)  # the first result was overwritten
    # a decoder that cannot write into a buffer still works, with its own memory
    h2 = read_header(testfile("J2K_pixelrep_mismatch.dcm"))
    c, name2 = decode_stored(h2, buffer=buf)
    assert name2 == "pydicom" and not np.shares_memory(c, b)
    assert np.array_equal(c, decode_stored(h2)[0])
