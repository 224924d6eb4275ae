"""The breast crop: the bounding box of the breast, without labels, film edges or borders.

Works on a small thumbnail (long side ``CropParams.work_size``) of the display image:

1. background level = the histogram mode (dark on most images, bright on fogged or
   digitised film), and each pixel's distance from it;
2. film edges and scanner frames removed: a band along an image edge that is mostly
   foreground and ends abruptly (the next line inward is far emptier) is cleared; the
   chest-wall side, where the breast continues inward, is kept;
3. a core mask (distance above half the Otsu threshold), opened with a disc so thin
   remnants and letter strokes fall away;
4. the breast = the largest component (plus any other of comparable size, for a breast split
   by a dark band); burned-in labels are separate small components and drop out;
5. its extent grown back into a low-threshold mask, but only near the core, so the faint
   skin line is inside the box while the frame lines stay outside.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class CropParams:
    work_size: int = 512  # long side of the thumbnail the mask is computed on
    open_frac: float = 0.012  # opening disc diameter, fraction of the long side
    core_otsu_frac: float = 0.5  # core threshold = this x Otsu threshold of the distance
    low_otsu_frac: float = 0.2  # skin-line threshold, same unit
    min_threshold: float = 0.02  # never below this distance from background (0..1 scale)
    keep_frac: float = 0.15  # keep other components at least this share of the largest
    margin_frac: float = 0.01  # margin around the box, fraction of the long side
    edge_band_frac: float = 0.06  # film edges / frames are searched this deep from each edge
    edge_start: float = 0.3  # a band starts with at least this share of a line in foreground
    edge_drop: float = 0.6  # ...and ends where a line falls below this share of the band


@dataclass
class BreastMask:
    """The result at thumbnail scale, kept for the side detector and for inspection."""

    mask: np.ndarray  # bool (h, w) thumbnail mask of the breast
    scale: float  # thumbnail pixels per original pixel
    background: float  # 0..1
    box: tuple[int, int, int, int]  # y0, x0, y1, x1 in original pixels (end exclusive)


def thumbnail(image: np.ndarray, work_size: int) -> tuple[np.ndarray, float]:
    """float32 [0, 1] thumbnail with long side ``work_size`` (area interpolation)."""
    h, w = image.shape
    s = min(1.0, work_size / max(h, w))
    th, tw = max(1, round(h * s)), max(1, round(w * s))
    small = cv2.resize(image, (tw, th), interpolation=cv2.INTER_AREA) if s < 1 else image
    if small.dtype == np.uint16:
        out = small.astype(np.float32) * np.float32(1 / 65535)
    elif small.dtype == np.uint8:
        out = small.astype(np.float32) * np.float32(1 / 255)
    else:
        out = small.astype(np.float32)
    return out, s


def _disc(d: int) -> np.ndarray:
    d = max(3, int(d) | 1)
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))


def _edge_bands(fg: np.ndarray, p: CropParams) -> np.ndarray:
    """Bool mask of the film-edge / frame bands along the four image edges."""
    bands = np.zeros(fg.shape, bool)
    for axis, flip in ((1, False), (1, True), (0, False), (0, True)):
        occ = fg.mean(axis=axis)  # axis=1: one value per row (top/bottom edges)
        if flip:
            occ = occ[::-1]
        depth = max(2, int(p.edge_band_frac * len(occ)))
        if occ[0] < p.edge_start:
            continue
        low = occ[0]
        for j in range(1, min(depth, len(occ))):
            if occ[j] < p.edge_drop * low:
                n = len(occ)
                sl = slice(n - j, n) if flip else slice(0, j)
                if axis == 1:
                    bands[sl, :] = True
                else:
                    bands[:, sl] = True
                break
            low = min(low, occ[j])
    return bands


def breast_mask(image: np.ndarray, params: CropParams | None = None) -> BreastMask:
    """Find the breast in a display image (2-D, higher = brighter; uint16, uint8 or [0, 1])."""
    p = params or CropParams()
    if image.ndim != 2 or min(image.shape) < 8:
        raise ValueError(f"breast_mask needs a 2-D image of at least 8x8, got {image.shape}")
    t, s = thumbnail(image, p.work_size)
    t = cv2.medianBlur(t, 5)
    hist, edges = np.histogram(t, bins=64, range=(0.0, 1.0))
    k = int(hist.argmax())
    bg = float(np.median(t[(t >= edges[k]) & (t <= edges[k + 1])]))
    dist = np.abs(t - np.float32(bg))
    d8 = np.clip(dist * 255, 0, 255).astype(np.uint8)
    otsu = cv2.threshold(d8, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0] / 255.0
    core_b = dist > max(p.min_threshold, p.core_otsu_frac * otsu)
    low_b = dist > max(p.min_threshold, p.low_otsu_frac * otsu)
    bands = _edge_bands(low_b, p) | _edge_bands(core_b, p)
    core = (core_b & ~bands).astype(np.uint8)
    kernel = _disc(p.open_frac * max(t.shape))
    core = cv2.morphologyEx(core, cv2.MORPH_OPEN, kernel)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    H, W = image.shape
    if n <= 1:  # nothing stands out from the background: keep the whole image
        return BreastMask(np.ones(t.shape, bool), s, bg, (0, 0, H, W))
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= p.keep_frac * areas.max())
    breast = np.isin(labels, keep).astype(np.uint8)
    # grow back into the low-threshold mask, only near the core
    low = (low_b & ~bands).astype(np.uint8)
    near = cv2.dilate(breast, _disc(2 * p.open_frac * max(t.shape)))
    full = (breast | (low & near)).astype(bool)
    ys, xs = np.nonzero(full)
    margin = p.margin_frac * max(H, W)
    y0 = max(0, int(np.floor(ys.min() / s - margin)))
    x0 = max(0, int(np.floor(xs.min() / s - margin)))
    y1 = min(H, int(np.ceil((ys.max() + 1) / s + margin)))
    x1 = min(W, int(np.ceil((xs.max() + 1) / s + margin)))
    return BreastMask(full, s, bg, (y0, x0, y1, x1))


def breast_crop(image: np.ndarray, params: CropParams | None = None) -> tuple[int, int, int, int]:
    """(y0, x0, y1, x1), end exclusive, in the pixels of ``image``: the breast's bounding box."""
    return breast_mask(image, params).box
