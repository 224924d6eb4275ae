"""Fast area-averaging downscale.

OpenCV's INTER_AREA is several times faster for an exact integer factor than for an
arbitrary one, so a reduction by 2 or more is done as a box filter by the integer factor k
(on the image trimmed to a multiple of k), then a bilinear step for the remaining factor
(between 1/2 and 1, so no further anti-aliasing is needed) whose affine map puts every
output pixel centre exactly where a direct resize would, i.e. the geometry is exact.
Smaller reductions use INTER_AREA directly; upscaling is bilinear.
"""

from __future__ import annotations

import cv2
import numpy as np

_CV_DTYPES = (np.uint8, np.uint16, np.int16, np.float32)


def area_resize(img: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Resize a 2-D array to ``size_hw`` (H, W), averaging when shrinking."""
    if img.dtype.type not in _CV_DTYPES:
        img = img.astype(np.float32)
    h, w = img.shape
    th, tw = int(size_hw[0]), int(size_hw[1])
    if (th, tw) == (h, w):
        return img.copy()
    if th > h or tw > w:
        return cv2.resize(img, (tw, th), interpolation=cv2.INTER_LINEAR)
    k = int(min(h / th, w / tw))
    if k >= 2:
        hk, wk = h // k, w // k
        img = cv2.resize(img[:hk * k, :wk * k], (wk, hk), interpolation=cv2.INTER_AREA)
        if (hk * k, wk * k) == (h, w) and (hk, wk) == (th, tw):
            return img
        # output pixel j centre = (j + 0.5) * h / th original px = that / k - 0.5 box pixels
        ay, ax = h / (th * k), w / (tw * k)
        m = np.array([[ax, 0.0, 0.5 * ax - 0.5], [0.0, ay, 0.5 * ay - 0.5]])
        return cv2.warpAffine(img, m, (tw, th), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)
    return cv2.resize(img, (tw, th), interpolation=cv2.INTER_AREA)
