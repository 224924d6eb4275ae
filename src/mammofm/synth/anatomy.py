"""Normal breast anatomy in one view, in the canonical frame (chest wall on the left edge).

A view is described by a ``ViewGeometry``: the breast outline is a super-ellipse from the
chest wall to the nipple (the MLO one reaches up into the axilla and carries the pectoral
muscle), the compressed thickness falls off toward the skin along a semicircular edge
profile, fibroglandular tissue is power-law texture whose amount follows the composition,
and vessels run toward the nipple. Output is a projected attenuation map (line integrals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .texture import power_law_noise, radial_texture

#: linear attenuation (1/mm) near 20 keV (Johns & Yaffe 1987)
MU_FAT = 0.045
MU_GLAND = 0.080
MU_SKIN = 0.085
MU_MUSCLE = 0.078
MU_CALCIUM = 1.2
#: fraction of the thickness a ray crosses in glandular tissue where the tissue is densest
GLAND_PATH_FRACTION = 0.5


@dataclass
class ViewGeometry:
    view: str
    height: int
    width: int
    spacing: float  # mm per pixel
    x_nipple: float  # px
    y_centre: float  # px, the nipple axis
    h_up: float  # px, half extent above the nipple axis at the chest wall
    h_low: float  # px, below
    p: float  # super-ellipse exponent of the outline
    pect_width: float = 0.0  # px at the top edge (MLO)
    pect_height: float = 0.0  # px down the chest wall (MLO)
    pect_curve: float = 1.0
    nipple_radius: float = 0.0  # px

    def extent(self, x: np.ndarray | float) -> np.ndarray | float:
        """Fraction of the chest-wall half extent left at column x (1 at the wall, 0 at the nipple)."""
        t = np.clip(np.asarray(x, dtype=np.float64) / self.x_nipple, 0.0, 1.0)
        return (1.0 - t ** self.p) ** (1.0 / self.p)

    def point(self, d: float, s: float) -> tuple[float, float]:
        """Pixel (x, y) of normalised depth d (0 nipple .. 1 chest wall) and vertical s (-1..1)."""
        x = self.x_nipple * (1.0 - d)
        half = self.h_up if s > 0 else self.h_low
        y = self.y_centre - s * half * float(self.extent(x))
        return x, y

    def edge_x(self) -> np.ndarray:
        """Anterior edge (skin) column of every row; <= 0 where the row holds no breast."""
        y = np.arange(self.height, dtype=np.float64) + 0.5
        dy = self.y_centre - y
        half = np.where(dy > 0, self.h_up, self.h_low)
        u = np.clip(np.abs(dy) / half, 0, 1)
        return np.where(np.abs(dy) < half, self.x_nipple * (1 - u ** self.p) ** (1 / self.p), 0.0)

    def mask(self) -> np.ndarray:
        xs = np.arange(self.width, dtype=np.float64)[None, :] + 0.5
        m = xs < self.edge_x()[:, None]
        if self.nipple_radius > 0:
            yy, xx = np.ogrid[0:self.height, 0:self.width]
            cx = self.x_nipple - 0.4 * self.nipple_radius
            m |= (xx + 0.5 - cx) ** 2 + (yy + 0.5 - self.y_centre) ** 2 < self.nipple_radius ** 2
        return m

    def pectoral_mask(self) -> np.ndarray:
        """Pectoral muscle triangle (MLO): from (pect_width, 0) down to (0, pect_height)."""
        if self.pect_width <= 0:
            return np.zeros((self.height, self.width), bool)
        y = np.arange(self.height, dtype=np.float64)[:, None] + 0.5
        x = np.arange(self.width, dtype=np.float64)[None, :] + 0.5
        xp = self.pect_width * np.clip(1 - y / self.pect_height, 0, 1) ** self.pect_curve
        return x < xp


def make_geometry(view: str, size: tuple[int, int], spacing: float, depth_mm: float,
                  radius_mm: float, r: np.random.Generator) -> ViewGeometry:
    """Place one breast's outline in the frame (it is shrunk if it would not fit)."""
    h, w = size
    p = float(r.uniform(1.8, 2.5))
    nip = 4.0 / spacing
    if view == "CC":
        x_n = depth_mm / spacing
        yc = h * float(r.uniform(0.46, 0.54))
        asym = float(r.uniform(0.0, 0.12))
        hu, hl = radius_mm * (1 + asym) / spacing, radius_mm * (1 - asym) / spacing
        shrink = min(1.0, (w - nip - 4) / x_n, (yc - 4) / hu, (h - yc - 4) / hl)
        return ViewGeometry(view, h, w, spacing, x_n * shrink, yc, hu * shrink, hl * shrink, p,
                            nipple_radius=nip)
    x_n = depth_mm * 1.1 / spacing
    x_n = min(x_n, w - nip - 4)
    yc = h * float(r.uniform(0.55, 0.64))
    hl = min(radius_mm * 1.05 / spacing, h - yc - 4)
    a = float(r.uniform(0.35, 0.55))  # breast width at the top edge, fraction of depth
    # super-ellipse reaching the top edge at width a * x_n
    hu = yc / (1 - a ** p) ** (1 / p)
    pw = a * x_n * float(r.uniform(0.75, 1.0))
    ph = h * float(r.uniform(0.35, 0.6))
    return ViewGeometry(view, h, w, spacing, x_n, yc, hu, hl, p, pect_width=pw, pect_height=ph,
                        pect_curve=float(r.uniform(0.8, 1.3)), nipple_radius=nip)


def distance_to_skin_mm(mask: np.ndarray, spacing: float, view: str) -> np.ndarray:
    """Distance (mm) of each breast pixel to the skin: the chest-wall edge (and the top edge of
    an MLO, the axilla) continue outside the frame, so they are not skin."""
    pad = 64
    top = pad if view == "MLO" else 0
    m = np.pad(mask.astype(np.uint8), ((top, 0), (pad, 0)), mode="edge")
    d = cv2.distanceTransform(m, cv2.DIST_L2, 5)
    return d[top:, pad:] * spacing


def thickness_map(dist_mm: np.ndarray, thickness_mm: float) -> np.ndarray:
    """Compressed thickness: flat in the middle, semicircular fall-off at the edge."""
    r = thickness_mm / 2.0
    u = np.clip(dist_mm / r, 0, 1)
    return (thickness_mm * np.sqrt(1 - (1 - u) ** 2)).astype(np.float32)


def gland_map(geo: ViewGeometry, mask: np.ndarray, dist_mm: np.ndarray, fraction: float,
              r: np.random.Generator) -> np.ndarray:
    """Projected fibroglandular fraction in [0, 1] whose mean over the breast is ``fraction``."""
    h, w = mask.shape
    # texture: ducts radiating from the nipple mixed with isotropic power-law blobs
    rad = radial_texture((h, w), (geo.x_nipple, geo.y_centre), 3.0, r, stretch=4.0)
    iso = power_law_noise((h, w), 3.0, r, fmin=2.0)
    # ducts converge on the nipple but do not all meet in one point: fade the radial part there
    yy0, xx0 = np.ogrid[0:h, 0:w]
    rn = np.sqrt((xx0 + 0.5 - geo.x_nipple) ** 2 + (yy0 + 0.5 - geo.y_centre) ** 2) * geo.spacing
    wr = (0.55 * np.clip(rn / 25.0, 0.2, 1.0)).astype(np.float32)
    tex = wr * rad + (1 - wr) * iso
    # envelope: none under the skin (subcutaneous fat), less at the chest wall (retromammary
    # fat), more in the upper outer breast
    xx = (np.arange(w, dtype=np.float32)[None, :] + 0.5) / max(geo.x_nipple, 1.0)
    yy = (geo.y_centre - (np.arange(h, dtype=np.float32)[:, None] + 0.5)) / max(geo.h_low, 1.0)
    sub = np.clip((dist_mm - 2.0) / 7.0, 0, 1)
    sub = sub * sub * (3 - 2 * sub)
    env = sub * (0.6 + 0.4 * np.clip(xx / 0.25, 0, 1)) * (1.0 + 0.25 * np.clip(yy, -1, 1))
    score = tex + 2.2 * (env - 1.0)
    inside = mask & (env > 0.05)
    if not inside.any():
        return np.zeros((h, w), np.float32)
    vals = score[inside]
    thr = float(np.quantile(vals, 1.0 - min(0.97, max(0.02, fraction))))
    g = 1.0 / (1.0 + np.exp(-(score - thr) / 0.6))
    mod = 0.7 + 0.3 * np.clip(power_law_noise((h, w), 2.5, r, reduce=4), -2, 2) / 2
    # Cooper's ligaments and trabeculae: faint strands through the fat
    ridge = np.clip(1 - np.abs(power_law_noise((h, w), 2.6, r, fmin=3.0)) / 0.12, 0, 1)
    strands = (0.22 * ridge * ridge * sub).astype(np.float32)
    g = (np.maximum(g * mod * env.clip(0, 1), strands)).astype(np.float32)
    g[~mask] = 0
    # match the area fraction exactly (the soft threshold and envelope bias it)
    mean = float(g[mask].mean())
    if mean > 0:
        g = np.clip(g * (fraction / mean), 0, 1)
    # dense tissue rarely fills the whole compressed thickness along a ray
    return (GLAND_PATH_FRACTION * g).astype(np.float32)


def vessel_map(geo: ViewGeometry, mask: np.ndarray, r: np.random.Generator,
               n: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Projected attenuation of a few vessels (and their polylines, for vascular calcs)."""
    h, w = mask.shape
    canvas = np.zeros((h * 2, w * 2), np.uint8)  # drawn at 2x then area-reduced: anti-aliased
    lines: list[np.ndarray] = []
    n = int(r.integers(2, 6)) if n is None else n
    for _ in range(n):
        x, y = geo.point(float(r.uniform(0.7, 0.95)), float(r.uniform(-0.8, 0.8)))
        # vessels run toward the nipple region, not into one point
        tx = geo.x_nipple * float(r.uniform(0.8, 1.1))
        ty = geo.y_centre + float(r.uniform(-0.5, 0.5)) * geo.h_low
        pts = [(x, y)]
        heading = math.atan2(ty - y, tx - x) + float(r.normal(0, 0.3))
        step = 4.0 / geo.spacing
        for _ in range(int(r.uniform(0.3, 0.75) * geo.x_nipple / step)):
            want = math.atan2(ty - y, tx - x)
            heading += 0.25 * math.sin(want - heading) + float(r.normal(0, 0.18))
            x += step * math.cos(heading)
            y += step * math.sin(heading)
            if not (0 <= x < w and 0 <= y < h) or not mask[int(y), int(x)]:
                break
            pts.append((x, y))
        if len(pts) < 3:
            continue
        line = np.array(pts, np.float32)
        lines.append(line)
        width_px = max(1, int(round(2 * float(r.uniform(0.8, 1.6)) / geo.spacing)))
        cv2.polylines(canvas, [np.round(line * 2).astype(np.int32)], False, 255, width_px,
                      cv2.LINE_AA)
    v = cv2.resize(canvas.astype(np.float32) / 255.0, (w, h), interpolation=cv2.INTER_AREA)
    return v * (0.9 * (MU_GLAND - MU_FAT)), lines


def skin_map(dist_mm: np.ndarray, mask: np.ndarray, skin_mm: float = 1.5) -> np.ndarray:
    """The skin: both compression surfaces everywhere plus the tangential rim at the edge."""
    rim = np.exp(-dist_mm / 1.0) * 2.0 * skin_mm
    out = (2 * skin_mm + rim) * (MU_SKIN - MU_FAT)
    return np.where(mask, out, 0).astype(np.float32)


def pectoral_map(geo: ViewGeometry, mask: np.ndarray, thickness: np.ndarray, gland: np.ndarray
                 ) -> np.ndarray:
    """Extra attenuation of the pectoral muscle where it replaces breast tissue (MLO)."""
    pm = geo.pectoral_mask() & mask
    if not pm.any():
        return np.zeros_like(thickness)
    y = np.arange(geo.height, dtype=np.float32)[:, None] + 0.5
    x = np.arange(geo.width, dtype=np.float32)[None, :] + 0.5
    xp = geo.pect_width * np.clip(1 - y / geo.pect_height, 1e-3, 1) ** geo.pect_curve
    frac = np.sqrt(np.clip(1 - x / np.maximum(xp, 1e-3), 0, 1))  # thicker toward the wall
    mu_local = MU_FAT + (MU_GLAND - MU_FAT) * gland
    extra = 0.1 + 0.5 * frac  # a sharp-ish front edge, as real pectoral shadows have
    return np.where(pm, thickness * extra * np.clip(MU_MUSCLE - mu_local, 0.004, None),
                    0).astype(np.float32)
