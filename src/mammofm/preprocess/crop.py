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

from .resize import area_resize


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
    small = area_resize(image, (th, tw)) if s < 1 else image
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


def edge_bands(fg: np.ndarray, p: CropParams) -> dict[str, int]:
    """Depth (pixels) of the film-edge / frame band along each image edge (0 = none).

    A band starts with a mostly-filled line at the edge and ends where a line inward falls
    below ``edge_drop`` of the emptiest band line so far; a gradual change (a breast against
    the edge) never ends a band, so the chest-wall side is left alone."""
    depths = {}
    for name, axis, flip in (("top", 1, False), ("bottom", 1, True),
                             ("left", 0, False), ("right", 0, True)):
        occ = fg.mean(axis=axis)  # axis=1: one value per row
        if flip:
            occ = occ[::-1]
        depth = 0
        if occ[0] >= p.edge_start:
            low = occ[0]
            for j in range(1, min(max(2, int(p.edge_band_frac * len(occ))), len(occ))):
                if occ[j] < p.edge_drop * low:
                    depth = j + j // 2 + 1  # and the soft edge of the band
                    break
                low = min(low, occ[j])
        depths[name] = depth
    return depths


def _band_mask(shape: tuple[int, int], d: dict[str, int]) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[:d["top"], :] = True
    m[shape[0] - d["bottom"]:, :] = True
    m[:, :d["left"]] = True
    m[:, shape[1] - d["right"]:] = True
    return m


def breast_mask(image: np.ndarray, params: CropParams | None = None) -> BreastMask:
    """Find the breast in a display image (2-D, higher = brighter; uint16, uint8 or [0, 1])."""
    p = params or CropParams()
    if image.ndim != 2 or min(image.shape) < 8:
        raise ValueError(f"breast_mask needs a 2-D image of at least 8x8, got {image.shape}")
    t, s = thumbnail(image, p.work_size)
    t8 = cv2.medianBlur(np.rint(t * 255).clip(0, 255).astype(np.uint8), 5)
    hist = np.bincount((t8 >> 2).ravel(), minlength=64)  # 64 bins
    k = int(hist.argmax())
    in_mode = t8[(t8 >> 2) == k]
    bg = int(np.median(in_mode))
    dist = cv2.absdiff(t8, np.full_like(t8, bg))
    otsu = cv2.threshold(dist, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[0]
    floor = p.min_threshold * 255
    core_b = dist > max(floor, p.core_otsu_frac * otsu)
    low_b = dist > max(floor, p.low_otsu_frac * otsu)
    d_low, d_core = edge_bands(low_b, p), edge_bands(core_b, p)
    depth = {k: max(d_low[k], d_core[k]) for k in d_low}
    bands = _band_mask(t8.shape, depth)
    core = (core_b & ~bands).astype(np.uint8)
    kernel = _disc(p.open_frac * max(t8.shape))
    core = cv2.morphologyEx(core, cv2.MORPH_OPEN, kernel)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(core, connectivity=8)
    H, W = image.shape
    if n <= 1:  # nothing stands out from the background: keep the whole image
        return BreastMask(np.ones(t8.shape, bool), s, bg / 255, (0, 0, H, W))
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, np.uint8)
    keep[1:][areas >= p.keep_frac * areas.max()] = 1
    breast = keep[labels]
    # grow back into the low-threshold mask, only near the core
    near = cv2.dilate(breast, _disc(2 * p.open_frac * max(t8.shape)))
    full = breast | (low_b & ~bands & near.astype(bool)).astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(full)
    margin = p.margin_frac * max(H, W)
    # the margin never reaches into a film-edge band
    y0 = max(int(np.ceil(depth["top"] / s)), int(np.floor(by / s - margin)))
    x0 = max(int(np.ceil(depth["left"] / s)), int(np.floor(bx / s - margin)))
    y1 = min(H - int(np.ceil(depth["bottom"] / s)), int(np.ceil((by + bh) / s + margin)))
    x1 = min(W - int(np.ceil(depth["right"] / s)), int(np.ceil((bx + bw) / s + margin)))
    return BreastMask(full.astype(bool), s, bg / 255, (y0, x0, y1, x1))


def breast_crop(image: np.ndarray, params: CropParams | None = None) -> tuple[int, int, int, int]:
    """(y0, x0, y1, x1), end exclusive, in the pixels of ``image``: the breast's bounding box."""
    return breast_mask(image, params).box
