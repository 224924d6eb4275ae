"""The hand-built PNG encoder (libdeflate) against the reference decoders: libpng through
OpenCV and Pillow must read back exactly the array written, chunk CRCs must hold, and the
files must be about as small as libpng's own at its fastest settings."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from mammofm.preprocess.png import encode_png


def _mammogram_like(rng: np.random.Generator, dtype: type, shape=(300, 180)) -> np.ndarray:
    """Smooth tissue, a flat zero background and a padded band, like a preprocessed output."""
    top = np.iinfo(dtype).max
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    tissue = 0.6 * top * np.exp(-((xx / shape[1]) ** 2) * 3) * (1 + 0.05 * np.sin(yy / 7))
    noise = rng.normal(0, 0.01 * top, shape)
    img = np.clip(tissue + noise, 0, top)
    img[:, int(shape[1] * 0.7):] = 0
    return img.astype(dtype)


def _chunks(png: bytes) -> list[tuple[bytes, bytes, int]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out, i = [], 8
    while i < len(png):
        (n,) = struct.unpack(">I", png[i:i + 4])
        kind, data = png[i + 4:i + 8], png[i + 8:i + 8 + n]
        (crc,) = struct.unpack(">I", png[i + 8 + n:i + 12 + n])
        out.append((kind, data, crc))
        i += 12 + n
    return out


@pytest.mark.parametrize("level", [0, 1, 6, 12])
@pytest.mark.parametrize("dtype", [np.uint16, np.uint8])
def test_libpng_and_pillow_read_back_the_exact_array(level, dtype):
    rng = np.random.default_rng(level)
    img = _mammogram_like(rng, dtype)
    img[0, :5] = [0, np.iinfo(dtype).max, 1, np.iinfo(dtype).max - 1, 0]  # wrap-around in "sub"
    png = encode_png(img, level)
    via_libpng = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert via_libpng.dtype == dtype and np.array_equal(via_libpng, img)
    with Image.open(io.BytesIO(png)) as im:
        assert im.size == (img.shape[1], img.shape[0])
        assert np.array_equal(np.asarray(im).astype(dtype), img)


def test_chunks_are_well_formed():
    img = _mammogram_like(np.random.default_rng(0), np.uint16, (37, 23))
    chunks = _chunks(encode_png(img))
    assert [k for k, _, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    for kind, data, crc in chunks:
        assert zlib.crc32(kind + data) == crc, kind
    w, h, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (w, h, depth, colour, comp, filt, interlace) == (23, 37, 16, 0, 0, 0, 0)
    rows = zlib.decompress(chunks[1][1])  # a valid zlib stream with one filter byte per row
    assert len(rows) == 37 * (1 + 23 * 2) and set(rows[::47]) == {1}  # the "sub" filter


def test_level_zero_stores_unfiltered_rows():
    img = _mammogram_like(np.random.default_rng(1), np.uint8, (20, 30))
    rows = zlib.decompress(_chunks(encode_png(img, 0))[1][1])
    assert set(rows[::31]) == {0}
    assert np.array_equal(np.frombuffer(rows, np.uint8).reshape(20, 31)[:, 1:], img)


def test_about_as_small_as_libpng_fastest():
    img = _mammogram_like(np.random.default_rng(2), np.uint16, (600, 360))
    ours = len(encode_png(img, 1))
    ok, ref = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 1,
                                         cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE,
                                         cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_SUB])
    assert ok and ours < 1.1 * len(ref)
    assert ours < 0.8 * img.nbytes


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.float32), np.zeros((4, 4, 3), np.uint8),
                                 np.zeros((0, 4), np.uint16), np.zeros((4, 4), np.int16)])
def test_refuses_what_it_cannot_write(bad):
    with pytest.raises(ValueError, match="2-D uint8 or uint16"):
        encode_png(bad)


def test_refuses_a_level_out_of_range():
    with pytest.raises(ValueError, match="0-12"):
        encode_png(np.zeros((4, 4), np.uint8), 13)


def test_non_contiguous_and_big_endian_input():
    img = _mammogram_like(np.random.default_rng(3), np.uint16, (50, 60))
    view = img[::2, 5:45]
    back = cv2.imdecode(np.frombuffer(encode_png(view), np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(back, view)
    big = img.astype(">u2")
    back = cv2.imdecode(np.frombuffer(encode_png(big), np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(back, img)
