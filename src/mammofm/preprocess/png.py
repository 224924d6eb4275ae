"""PNG output, atomic: 16-bit (default) or 8-bit grayscale.

The encoder is the one step of preprocessing that no decoder speed can hide (a 1520x912
16-bit image is 2.8 MB of samples), so it is built for speed: every row gets PNG's "sub"
filter (NumPy, one pass) and the rows are deflated by libdeflate (the ``deflate`` package)
into a standard PNG: signature, IHDR, one IDAT, IEND, each chunk with its CRC-32. On the
CBIS-DDSM outputs this takes about 17 ms per image against 22-27 ms for libpng through
OpenCV with its fastest settings (zlib level 1, RLE strategy, the same filter), at the same
size within 1%. Tests decode what it writes with libpng (OpenCV) and Pillow, bit for bit.
Level 0 stores the rows unfiltered and uncompressed (3x larger files, for fast disks).
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import cv2
import deflate
import numpy as np

from mammofm.common.atomic import atomic_write_bytes

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_FILTER_NONE, _FILTER_SUB = 0, 1
_GRAY = 0  # PNG colour type 0: grayscale
MAX_LEVEL = 12  # libdeflate's levels: 0 (stored) to 12 (slowest, smallest)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _filtered_rows(image: np.ndarray, sub: bool) -> np.ndarray:
    """The scanlines PNG deflates: a filter-type byte, then the row's big-endian bytes, with
    the "sub" filter (each byte minus the byte one sample to its left, modulo 256)."""
    raw = image.astype(image.dtype.newbyteorder(">"), copy=False).view(np.uint8)
    h, w = raw.shape
    out = np.empty((h, w + 1), dtype=np.uint8)
    if not sub:
        out[:, 0] = _FILTER_NONE
        out[:, 1:] = raw
        return out
    step = image.dtype.itemsize  # PNG's "bpp": bytes per complete pixel
    out[:, 0] = _FILTER_SUB
    out[:, 1:1 + step] = raw[:, :step]
    np.subtract(raw[:, step:], raw[:, :-step], out=out[:, 1 + step:])  # wraps modulo 256
    return out


def encode_png(image: np.ndarray, compression: int = 1) -> bytes:
    """A grayscale PNG of a 2-D uint8 or uint16 array. ``compression``: libdeflate level,
    0 (stored, no filter) to 12; 1 is fast and within a few per cent of the smallest."""
    if image.ndim != 2 or image.dtype.kind != "u" or image.dtype.itemsize > 2 or 0 in image.shape:
        raise ValueError(f"PNG encoding needs a non-empty 2-D uint8 or uint16 array, got "
                         f"{image.dtype} {image.shape}")
    level = int(compression)
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"PNG compression level {compression} is outside 0-{MAX_LEVEL}")
    h, w = image.shape
    header = struct.pack(">IIBBBBB", w, h, 8 * image.dtype.itemsize, _GRAY, 0, 0, 0)
    rows = _filtered_rows(image, sub=level > 0)
    idat = deflate.zlib_compress(memoryview(rows).cast("B"), level)
    return (_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", bytes(idat))
            + _chunk(b"IEND", b""))


def write_png(path: str | os.PathLike[str], image: np.ndarray, compression: int = 1) -> Path:
    return atomic_write_bytes(path, encode_png(image, compression))


def read_png(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a PNG written by ``write_png`` with its bit depth kept."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"{path}: cannot read PNG")
    return img
