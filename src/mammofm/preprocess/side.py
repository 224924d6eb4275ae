"""Which edge the chest wall is on, from the image, and the flip decision (tags vs image).

The breast is widest at the chest wall and narrows to the nipple, so within the breast's own
box the columns next to the chest wall are the most filled with breast. The score compares
the mean filled share of the outer bands of columns; its size says how sure the image is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: canonical side: chest wall on the LEFT edge of the preprocessed image (docs/CONTRACTS.md)
CANONICAL_SIDE = "left"


@dataclass(frozen=True)
class SideDecision:
    chest_wall: str  # 'left' / 'right' in the stored image
    flipped: bool  # flipped to put the chest wall on the canonical (left) side
    source: str  # 'tags', 'image', 'image (tags disagree)', 'image (no tags)', 'default'
    image_side: str | None
    image_confidence: float  # 0..1
    tag_side: str | None


def chest_wall_side(mask: np.ndarray, band_frac: float = 0.15) -> tuple[str | None, float]:
    """('left' | 'right' | None, confidence 0..1) from a bool breast mask (any scale)."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None, 0.0
    sub = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    occ = sub.mean(axis=0)  # filled share of each column of the breast's box
    band = max(1, int(round(band_frac * occ.size)))
    score = float(occ[:band].mean() - occ[-band:].mean())
    if score == 0:
        return None, 0.0
    return ("left" if score > 0 else "right"), min(1.0, abs(score))


def detect_chest_wall_side(image: np.ndarray) -> tuple[str | None, float]:
    """('left' | 'right' | None, confidence) straight from a display image (any size)."""
    from .crop import breast_mask

    return chest_wall_side(breast_mask(image).mask)


def tag_chest_wall_side(laterality: str | None, orientation_side: str | None) -> str | None:
    """The side the tags imply: PatientOrientation if it says, else the display convention
    (right breast shown with the chest wall on the right, left breast on the left)."""
    if orientation_side in ("left", "right"):
        return orientation_side
    if laterality == "R":
        return "right"
    if laterality == "L":
        return "left"
    return None


def decide_flip(tag_side: str | None, image_side: str | None, confidence: float,
                min_confidence: float = 0.2) -> SideDecision:
    """Tags decide when the image agrees or is unsure; a sure image overrules missing or
    disagreeing tags."""
    sure = image_side is not None and confidence >= min_confidence
    if tag_side is not None and (not sure or image_side == tag_side):
        side, source = tag_side, "tags"
    elif sure:
        side = image_side  # type: ignore[assignment]
        source = "image (no tags)" if tag_side is None else "image (tags disagree)"
    elif image_side is not None:
        side, source = image_side, "image (unsure)"
    else:
        side, source = CANONICAL_SIDE, "default"
    return SideDecision(side, side != CANONICAL_SIDE, source, image_side, confidence, tag_side)
