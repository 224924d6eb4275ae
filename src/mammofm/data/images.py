"""Read preprocessed PNGs: 16-bit -> float32 / 65535, 8-bit -> / 255 (values in [0, 1])."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np


class ImageReadError(OSError):
    """An image or mask file that is missing or cannot be decoded (the message names it)."""


def _imread(path: str | os.PathLike[str]) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise ImageReadError(f"{p}: image file not found")
    arr = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ImageReadError(f"{p}: cannot decode image (not a PNG/JPEG OpenCV can read)")
    if arr.ndim == 3:  # colour or alpha: keep the first channel (mammograms are grey)
        arr = cv2.cvtColor(arr[..., :3], cv2.COLOR_BGR2GRAY) if arr.shape[2] >= 3 else arr[..., 0]
    return arr


def to_unit_float(arr: np.ndarray) -> np.ndarray:
    """Integer pixels -> float32 in [0, 1] by their dtype's full range."""
    if arr.dtype == np.uint16:
        return arr.astype(np.float32) / 65535.0
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    if arr.dtype == bool:
        return arr.astype(np.float32)
    return np.clip(arr.astype(np.float32), 0.0, 1.0)


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """(H, W) float32 in [0, 1] from a 16- or 8-bit PNG."""
    return to_unit_float(_imread(path))


def read_mask(path: str | os.PathLike[str]) -> np.ndarray:
    """(H, W) bool: nonzero pixels of a mask PNG."""
    return _imread(path) > 0
