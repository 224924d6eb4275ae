"""Rendering one view of one breast: anatomy + findings -> attenuation -> stored pixels.

Everything is built in the canonical frame (chest wall left) and flipped at the end into the
standard stored orientation (right breasts have the chest wall on the right), or mirrored
when a site stores it so. Masks travel with the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from mammofm.birads import Finding
from mammofm.common.seed import derive_seed, rng as make_rng

from . import anatomy
from .acquisition import Presentation, detect, present
from .config import SitePreset
from .exams import BreastPlan
from .lesions import ViewContext, distortion_warp, draw_finding
from .texture import power_law_noise


@dataclass
class LesionView:
    finding_index: int
    finding: Finding
    mask: np.ndarray  # bool, stored frame
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 pixel edges, stored frame
    conspicuity: float  # lesion contrast / local anatomical noise (higher = easier)


@dataclass
class RenderedView:
    laterality: str
    view: str
    presentation: Presentation
    spacing: float
    lesions: list[LesionView] = field(default_factory=list)
    breast_mask: np.ndarray | None = None  # stored frame
    flipped_to_store: bool = False  # canonical -> stored needed a left-right flip
    mirrored: bool = False
    thickness_mm: float = 0.0


def _box(mask: np.ndarray) -> tuple[float, float, float, float] | None:
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)


def _conspicuity(delta: np.ndarray, mask: np.ndarray, P: np.ndarray, breast: np.ndarray) -> float:
    """Mean added attenuation in the lesion over the std of the surrounding tissue."""
    if not mask.any():
        return 0.0
    m8 = mask.astype(np.uint8)
    k = max(3, int(2 * np.sqrt(mask.sum()) + 1))
    ring = (cv2.dilate(m8, np.ones((k, k), np.uint8)) > 0) & ~mask & breast
    if ring.sum() < 10:
        return 0.0
    bg = P[ring] - delta[ring]
    return float(np.mean(delta[mask]) / (np.std(bg) + 1e-3))


def render_view(plan: BreastPlan, view: str, size: tuple[int, int], site: SitePreset,
                acq: dict[str, object], lesion_gain: float = 1.0) -> RenderedView:
    """Render one view. ``acq`` fixes the per-image acquisition choices (photometric, bits,
    sigmoid, three_windows, mirrored) drawn by the caller; ``lesion_gain`` scales the
    attenuation every finding adds (``CohortConfig.lesion_gain``)."""
    r = make_rng(plan.seed, view, "anatomy")
    spacing = site.field_mm / size[0]
    geo = anatomy.make_geometry(view, size, spacing, plan.depth_mm, plan.radius_mm, r)
    mask = geo.mask()
    dist = anatomy.distance_to_skin_mm(mask, spacing, view)
    thick = anatomy.thickness_map(dist, plan.thickness_mm)
    gland = anatomy.gland_map(geo, mask, dist, plan.gland_fraction, r)
    vessels, lines = anatomy.vessel_map(geo, mask, r)
    texture = power_law_noise(size, 3.0, r)
    ctx = ViewContext(geo, view, mask, gland, thick, lines, plan.mlo_angle)
    # architectural distortion pulls the surrounding tissue in before anything is drawn
    for f, pl in zip(plan.findings, plan.placements):
        if f.kind.value == "architectural_distortion" and view in pl.views:
            mx, my = distortion_warp(ctx, pl)
            gland = cv2.remap(gland, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
            gland[~mask] = 0
            ctx.gland = gland
    P = thick * (anatomy.MU_FAT + (anatomy.MU_GLAND - anatomy.MU_FAT) * gland)
    P += anatomy.skin_map(dist, mask) + vessels * mask
    P += anatomy.pectoral_map(geo, mask, thick, gland)
    drawn = []
    for i, (f, pl) in enumerate(zip(plan.findings, plan.placements)):
        d = draw_finding(ctx, f, pl, make_rng(pl.seed, view), texture)
        if d is not None:
            if lesion_gain != 1.0:
                d = replace(d, delta=d.delta * np.float32(lesion_gain))
            P += d.delta
            drawn.append((i, f, d))
    P = np.where(mask, P, 0).astype(np.float32)
    rn = make_rng(plan.seed, view, "noise")
    L = detect(P, mask, site, spacing, rn)
    pres = present(L, mask, dist, site, spacing, rn, photometric=str(acq["photometric"]),
                   bits_stored=int(acq["bits_stored"]), sigmoid=bool(acq["sigmoid"]),
                   three_windows=bool(acq["three_windows"]),
                   min_range=0.8 * plan.thickness_mm * (anatomy.MU_GLAND - anatomy.MU_FAT)
                   * anatomy.GLAND_PATH_FRACTION)
    # canonical -> stored: right breasts face the other way; a "mirrored" site flips again
    flip = (plan.laterality == "R") != bool(acq.get("mirrored", False))
    out = RenderedView(plan.laterality, view, pres, spacing, flipped_to_store=flip,
                       mirrored=bool(acq.get("mirrored", False)), thickness_mm=plan.thickness_mm)

    def to_store(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a[:, ::-1]) if flip else a

    pres.pixels = to_store(pres.pixels)
    out.breast_mask = to_store(mask)
    for i, f, d in drawn:
        m = to_store(d.mask)
        box = _box(m)
        if box is None:
            continue
        out.lesions.append(LesionView(i, f, m, box, _conspicuity(d.delta, d.mask, P, mask)))
    return out


def acquisition_choices(site: SitePreset, seed: int, view_key: object) -> dict[str, object]:
    """The per-image acquisition draws of a site (photometric, bits, windows, mirroring)."""
    r = make_rng(seed, view_key, "acquisition")
    return {
        "photometric": "MONOCHROME1" if r.random() < site.mono1_fraction else "MONOCHROME2",
        "bits_stored": int(site.bits_stored[int(r.integers(0, len(site.bits_stored)))]),
        "sigmoid": bool(r.random() < site.sigmoid_fraction),
        "three_windows": bool(r.random() < site.three_windows_fraction),
        "mirrored": bool(r.random() < site.mirrored_fraction),
        "seed": derive_seed(seed, view_key),
    }
