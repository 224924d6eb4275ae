"""Never silently wrong: every file that cannot be decoded raises one DicomError naming the
file and the cause, in one line (and never crashes the process)."""

from __future__ import annotations

import pytest

from mammofm.dicom import DicomError, read_header, read_image


def _expect(path, *causes):
    with pytest.raises(DicomError) as err:
        read_image(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: ") and "\n" not in msg
    assert any(c in msg for c in causes), msg
    return msg


def test_not_dicom(tmp_path):
    p = tmp_path / "notes.dcm"
    p.write_bytes(b"this is not a DICOM file" * 50)
    _expect(p, "not a DICOM file")
    with pytest.raises(DicomError, match="not a DICOM file"):
        read_header(p)


def test_missing_file(tmp_path):
    _expect(tmp_path / "nope.dcm", "file not found")


def test_truncated_compressed(tmp_path, testfile):
    data = testfile("MR_small_RLE.dcm").read_bytes()
    p = tmp_path / "rle_cut.dcm"
    p.write_bytes(data[: len(data) - 3000])
    _expect(p, "truncated")


def test_truncated_native_does_not_crash(tmp_path, testfile):
    # dicomsdl segfaults on this one; the chain must never hand it native data
    data = testfile("MR_small.dcm").read_bytes()
    p = tmp_path / "native_cut.dcm"
    p.write_bytes(data[: len(data) - 3000])
    _expect(p, "less than expected", "truncated")


def test_non_image_dicom(testfile):
    _expect(testfile("rtplan.dcm"), "no pixel data: not an image (SOP class RT Plan Storage)")


def test_colour_and_multiframe_are_refused(testfile):
    _expect(testfile("SC_rgb_rle.dcm"), "colour image")
    _expect(testfile("emri_small_RLE.dcm"), "multi-frame image (10 frames)")


def test_broken_jpeg2000_lists_every_decoder(testfile):
    msg = _expect(testfile("JPEG2000-embedded-sequence-delimiter.dcm"), "cannot decode JPEG 2000")
    assert "dicomsdl:" in msg and "pydicom:" in msg
