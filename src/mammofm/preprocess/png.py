"""PNG output, atomic: 16-bit (default) or 8-bit grayscale via OpenCV."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from mammofm.common.atomic import atomic_write_bytes


def encode_png(image: np.ndarray, compression: int = 1) -> bytes:
    """Encode with the "sub" filter and run-length zlib strategy: on mammograms (large flat
    background, smooth tissue) it is about 3x faster than the defaults at a similar size.
    Level 0 stores without filtering or deflate: about 3x faster again, 3x larger files."""
    if int(compression) == 0:
        params = [cv2.IMWRITE_PNG_COMPRESSION, 0, cv2.IMWRITE_PNG_FILTER,
                  cv2.IMWRITE_PNG_FILTER_NONE]
    else:
        params = [cv2.IMWRITE_PNG_COMPRESSION, int(compression),
                  cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE,
                  cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_SUB]
    ok, buf = cv2.imencode(".png", image, params + [cv2.IMWRITE_PNG_ZLIBBUFFER_SIZE, 1 << 20])
    if not ok:
        raise ValueError(f"PNG encoding failed for an array of {image.dtype} {image.shape}")
    return buf.tobytes()


def write_png(path: str | os.PathLike[str], image: np.ndarray, compression: int = 1) -> Path:
    return atomic_write_bytes(path, encode_png(image, compression))


def read_png(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a PNG written by ``write_png`` with its bit depth kept."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"{path}: cannot read PNG")
    return img
