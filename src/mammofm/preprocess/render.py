"""Crop -> display map -> resize -> flip -> pad, fast, for one image.

The result equals ``FrameTransform.image_to_output`` of the display image (up to rounding) but
never builds the display image of the whole frame: the crop is a view, the display map runs
on the crop only, or, when it is a straight line on this image (no window clipping), after
the resize on the small image. No float64 anywhere.
"""

from __future__ import annotations

import cv2
import numpy as np

from mammofm.common.geometry import FrameTransform
from mammofm.dicom.display import OUT_MAX, DisplayMap

from .resize import area_resize


def render(stored: np.ndarray, dmap: DisplayMap, t: FrameTransform, bit_depth: int = 16
           ) -> np.ndarray:
    """The preprocessed image (uint16 or uint8, t.out_size) from the stored values."""
    y0, x0, y1, x1 = t.crop_box
    crop = stored[y0:y1, x0:x1]
    ch, cw = t.content_size
    if dmap.affine is not None and dmap.lut is not None:
        a, b = dmap.affine
        small = area_resize(crop, (ch, cw))
        if bit_depth == 8:
            a, b = a * 255 / OUT_MAX, b * 255 / OUT_MAX
        if small.dtype == np.int16:
            small = small.astype(np.float32)
        # a * x + b, rounded and saturated, in one pass (float arithmetic inside OpenCV)
        content = cv2.addWeighted(small, a, small, 0.0, b,
                                  dtype=cv2.CV_8U if bit_depth == 8 else cv2.CV_16U)
    else:
        disp = dmap.apply(crop)
        content = area_resize(disp, (ch, cw))
        if bit_depth == 8:
            content = np.rint(content.astype(np.float32) * np.float32(255 / OUT_MAX)
                              ).astype(np.uint8)
    if t.flipped:
        content = cv2.flip(content, 1)
    out = np.zeros(t.out_size, dtype=content.dtype)
    top, left = t.pad
    out[top:top + ch, left:left + cw] = content
    return out
