"""The geometric record of preprocessing: original pixels <-> preprocessed pixels.

Preprocessing crops the original image to ``crop_box`` (y0, x0, y1, x1; end exclusive), flips it
left-right when ``flipped`` (to the canonical side), scales it by ``scale`` (aspect kept) and pads
it by ``pad`` (top, left) into an ``out_size`` (H, W) canvas. This record travels in every
manifest row, so boxes, points and masks map both ways exactly. Boxes are (x0, y0, x1, y1)
in pixel-edge coordinates (a pixel i spans [i, i+1)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np


@dataclass(frozen=True)
class FrameTransform:
    orig_height: int
    orig_width: int
    crop_box: tuple[int, int, int, int]  # y0, x0, y1, x1 in original pixels
    scale: float
    pad: tuple[int, int]  # top, left, in output pixels
    flipped: bool
    out_size: tuple[int, int]  # H, W

    @classmethod
    def from_row(cls, row: Mapping[str, Any], out_size: tuple[int, int] | None = None
                 ) -> FrameTransform:
        """Build from a manifest row (out_size from the row's out_height/out_width if absent)."""
        if out_size is None:
            out_size = (int(row["out_height"]), int(row["out_width"]))
        return cls(int(row["orig_height"]), int(row["orig_width"]),
                   tuple(int(v) for v in row["crop_box"]),  # type: ignore[arg-type]
                   float(row["scale"]), tuple(int(v) for v in row["pad"]),  # type: ignore[arg-type]
                   bool(row["flipped"]), (int(out_size[0]), int(out_size[1])))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def crop_size(self) -> tuple[int, int]:
        y0, x0, y1, x1 = self.crop_box
        return y1 - y0, x1 - x0

    @property
    def content_size(self) -> tuple[int, int]:
        """Size (H, W) of the resized image inside the padded canvas."""
        ch, cw = self.crop_size
        return (min(self.out_size[0], round(ch * self.scale)),
                min(self.out_size[1], round(cw * self.scale)))

    # --- points -----------------------------------------------------------------------------
    def points_to_output(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) x, y in original pixel-edge coordinates -> output coordinates."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        y0, x0, _, _ = self.crop_box
        _, cw = self.crop_size
        x = xy[:, 0] - x0
        y = xy[:, 1] - y0
        if self.flipped:
            x = cw - x
        return np.stack([x * self.scale + self.pad[1], y * self.scale + self.pad[0]], axis=1)

    def points_to_original(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        y0, x0, _, _ = self.crop_box
        _, cw = self.crop_size
        x = (xy[:, 0] - self.pad[1]) / self.scale
        y = (xy[:, 1] - self.pad[0]) / self.scale
        if self.flipped:
            x = cw - x
        return np.stack([x + x0, y + y0], axis=1)

    # --- boxes ------------------------------------------------------------------------------
    def _boxes(self, boxes: np.ndarray, fn: Any, limit: tuple[int, int]) -> np.ndarray:
        b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        p0 = fn(b[:, [0, 1]])
        p1 = fn(b[:, [2, 3]])
        out = np.concatenate([np.minimum(p0, p1), np.maximum(p0, p1)], axis=1)
        h, w = limit
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, w)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, h)
        return out

    def boxes_to_output(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) x0, y0, x1, y1 original -> output pixels (clipped to the canvas)."""
        return self._boxes(boxes, self.points_to_output, self.out_size)

    def boxes_to_original(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) output -> original pixels (clipped to the original image)."""
        return self._boxes(boxes, self.points_to_original, (self.orig_height, self.orig_width))

    # --- images and masks -------------------------------------------------------------------
    def image_to_output(self, image: np.ndarray, *, nearest: bool = False, pad_value: float = 0
                        ) -> np.ndarray:
        """Apply the transform to an original-frame array (image or mask)."""
        y0, x0, y1, x1 = self.crop_box
        crop = image[y0:y1, x0:x1]
        if self.flipped:
            crop = crop[:, ::-1]
        ch, cw = self.content_size
        interp = cv2.INTER_NEAREST if nearest else (
            cv2.INTER_AREA if self.scale < 1 else cv2.INTER_LINEAR)
        src = np.ascontiguousarray(crop)
        if src.dtype == bool:
            src = src.astype(np.uint8)
        resized = cv2.resize(src, (cw, ch), interpolation=interp)
        out = np.full(self.out_size, pad_value, dtype=resized.dtype)
        t, l = self.pad
        out[t:t + ch, l:l + cw] = resized
        return out.astype(image.dtype) if image.dtype == bool else out

    def mask_to_output(self, mask: np.ndarray) -> np.ndarray:
        """A binary / label mask in the output frame. When shrinking, a pixel is set if any
        source pixel under it is (area coverage > 0), so sparse calcification dots survive."""
        if self.scale >= 1:
            return self.image_to_output(mask, nearest=True)
        covered = self.image_to_output((np.asarray(mask) > 0).astype(np.float32)) > 0
        if mask.dtype == bool:
            return covered
        nearest = self.image_to_output(mask, nearest=True)
        # keep label values where nearest sampling has them, else the max label under the pixel
        fill = nearest.copy()
        fill[covered & (nearest == 0)] = np.asarray(mask).max() if mask.size else 0
        fill[~covered] = 0
        return fill

    def mask_to_original(self, mask: np.ndarray) -> np.ndarray:
        """Output-frame mask -> original frame (nearest neighbour; zero outside the crop)."""
        t, l = self.pad
        ch, cw = self.content_size
        inner = np.ascontiguousarray(mask[t:t + ch, l:l + cw])
        crop_h, crop_w = self.crop_size
        src = inner.astype(np.uint8) if inner.dtype == bool else inner
        back = cv2.resize(src, (crop_w, crop_h), interpolation=cv2.INTER_NEAREST)
        if self.flipped:
            back = back[:, ::-1]
        out = np.zeros((self.orig_height, self.orig_width), dtype=back.dtype)
        y0, x0, y1, x1 = self.crop_box
        out[y0:y1, x0:x1] = back
        return out.astype(bool) if mask.dtype == bool else out


def fit_transform(orig_size: tuple[int, int], crop_box: tuple[int, int, int, int],
                  out_size: tuple[int, int], flipped: bool) -> FrameTransform:
    """The aspect-preserving fit of a crop into ``out_size``: scale to fit, centre vertically,
    and keep the chest wall on the left edge (the canonical side) with padding on the right."""
    y0, x0, y1, x1 = crop_box
    ch, cw = y1 - y0, x1 - x0
    if ch <= 0 or cw <= 0:
        raise ValueError(f"empty crop box {crop_box}")
    scale = min(out_size[0] / ch, out_size[1] / cw)
    nh, nw = min(out_size[0], round(ch * scale)), min(out_size[1], round(cw * scale))
    top = (out_size[0] - nh) // 2
    left = 0  # chest wall stays on the canvas edge of the canonical side
    return FrameTransform(orig_size[0], orig_size[1], (y0, x0, y1, x1), float(scale),
                          (top, left), bool(flipped), (int(out_size[0]), int(out_size[1])))
