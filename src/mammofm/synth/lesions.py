"""Findings drawn into one view: each renderer returns the extra attenuation it adds (line
integrals, 1/mm x mm) and its pixel mask, in the canonical frame of the view.

A lesion displaces the tissue it occupies, so its contrast is (mu_lesion - mu_local) x chord,
where mu_local mixes fat and gland by the local glandular fraction: an equal-density mass in
dense tissue is physically near invisible. That is how density hides findings here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from mammofm.birads import (
    AsymmetryType,
    AssociatedFeature,
    CalcDistribution,
    CalcMorphology,
    Finding,
    FindingKind,
    ImplantMaterial,
    MassDensity,
    MassMargin,
    MassShape,
)

from .anatomy import GLAND_PATH_FRACTION, MU_CALCIUM, MU_FAT, MU_GLAND, ViewGeometry
from .exams import Placement

#: calcifications are drawn this much larger than life: at 0.5-0.7 mm pixels real 0.1-0.5 mm
#: specks would vanish; scaled, they stay the few-pixel bright dots a reader looks for
CALC_SCALE = 2.0
#: and denser, for the same reason (partial volume in a coarse pixel)
CALC_GAIN = 2.5
_SS = 4  # supersampling factor of the calcification canvas


@dataclass
class Drawn:
    delta: np.ndarray  # (H, W) float32 extra attenuation
    mask: np.ndarray  # (H, W) bool


@dataclass
class ViewContext:
    geo: ViewGeometry
    view: str
    breast_mask: np.ndarray
    gland: np.ndarray
    thickness: np.ndarray
    vessels: list[np.ndarray]
    mlo_angle: float

    def centre(self, pl: Placement) -> tuple[float, float]:
        return self.geo.point(pl.d, pl.view_coordinate(self.view, self.mlo_angle))

    def mu_local(self) -> np.ndarray:
        """Attenuation of the tissue a lesion displaces: where the projection shows dense
        tissue the lesion is embedded in it (the 3-D glandular fraction, not the ray's)."""
        g3 = np.clip(self.gland / GLAND_PATH_FRACTION, 0, 1)
        return MU_FAT + (MU_GLAND - MU_FAT) * g3


def _polar(shape: tuple[int, int], cx: float, cy: float) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    dx, dy = xx + 0.5 - cx, yy + 0.5 - cy
    return np.sqrt(dx * dx + dy * dy), np.arctan2(dy, dx)


def _boundary(theta: np.ndarray, radius: float, shape: MassShape | None, margin: MassMargin | None,
              r: np.random.Generator) -> np.ndarray:
    """Radius of the lesion outline at each angle."""
    ratio = {MassShape.round: r.uniform(0.9, 1.0), MassShape.oval: r.uniform(0.55, 0.8)}.get(
        shape, r.uniform(0.65, 0.95))
    phi = r.uniform(0, np.pi)
    c, s = np.cos(theta - phi), np.sin(theta - phi)
    rb = radius / np.sqrt(c * c + (s / ratio) ** 2) * math.sqrt(ratio)
    if shape == MassShape.irregular:
        for k in range(2, 7):
            rb = rb * (1 + r.uniform(0.06, 0.2) / (k - 1) ** 0.5 * np.cos(k * theta + r.uniform(0, 6.3)))
    if margin == MassMargin.microlobulated:
        k = int(r.integers(9, 16))
        rb = rb * (1 + 0.07 * np.abs(np.sin(k * theta / 2 + r.uniform(0, 6.3))))
    return rb


def _spicules(shape: tuple[int, int], cx: float, cy: float, r0: float, length: float, n: int,
              width_px: float, r: np.random.Generator) -> np.ndarray:
    """Thin tapering lines radiating from a centre (spiculated margin, distortion)."""
    h, w = shape
    canvas = np.zeros((h * 2, w * 2), np.float32)
    for i in range(n):
        a = 2 * np.pi * (i + r.uniform(-0.3, 0.3)) / n
        ln = length * r.uniform(0.6, 1.3)
        pts = []
        x, y = cx + r0 * math.cos(a), cy + r0 * math.sin(a)
        for t in np.linspace(0, 1, 6):
            aa = a + r.normal(0, 0.06)
            pts.append((x + (ln * t) * math.cos(aa), y + (ln * t) * math.sin(aa)))
        pts_arr = np.round(np.array(pts) * 2).astype(np.int32)
        for j in range(len(pts_arr) - 1):
            wj = max(1, int(round(2 * width_px * (1 - j / len(pts_arr)))))
            cv2.line(canvas, tuple(pts_arr[j]), tuple(pts_arr[j + 1]), 1.0, wj)
    return cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)


def draw_mass(ctx: ViewContext, f: Finding, pl: Placement, r: np.random.Generator,
              lymph_node: bool = False) -> Drawn:
    geo = ctx.geo
    cx, cy = ctx.centre(pl)
    radius = pl.size_mm / 2 / geo.spacing
    rr, th = _polar(ctx.gland.shape, cx, cy)
    rb = _boundary(th, radius, f.shape if not lymph_node else MassShape.oval,
                   f.margin if not lymph_node else MassMargin.circumscribed, r)
    u = rr / rb
    inside = u < 1
    # a mass resists compression: its extent along the beam is about its diameter (and at
    # least 8 mm: small lesions are drawn at the size they would need to be seen at all)
    depth_mm = min(max(pl.size_mm * 1.2, 8.0),
                   0.8 * float(ctx.thickness[int(np.clip(cy, 0, geo.height - 1)),
                                             int(np.clip(cx, 0, geo.width - 1))]) + 1)
    chord = (depth_mm * np.sqrt(np.clip(1 - u * u, 0, 1))).astype(np.float32)
    mu = {MassDensity.high: MU_GLAND * 1.5, MassDensity.equal: MU_GLAND * 1.3,
          MassDensity.low: MU_GLAND * 1.0,
          MassDensity.fat_containing: MU_FAT}.get(f.density, MU_GLAND * 1.3)
    delta = chord * (mu - ctx.mu_local())
    if f.density == MassDensity.fat_containing or lymph_node:
        # a thin capsule, and (lymph node) a fatty hilum notch on one side
        capsule = np.exp(-((u - 1) / 0.06) ** 2) * 1.5
        delta = delta + capsule * (MU_GLAND - MU_FAT)
        if lymph_node:
            hx, hy = cx + 0.45 * radius * math.cos(r.uniform(0, 6.3)), cy
            hr, _ = _polar(ctx.gland.shape, hx, hy)
            hil = np.clip(1 - (hr / (0.45 * radius)) ** 2, 0, 1)
            delta = delta - np.sqrt(hil) * depth_mm * 0.7 * (mu - MU_FAT)
    soft = {MassMargin.circumscribed: 0.35, MassMargin.obscured: 0.8,
            MassMargin.microlobulated: 0.5, MassMargin.indistinct: 0.0,
            MassMargin.spiculated: 0.8}.get(f.margin, 0.4)
    if f.margin == MassMargin.indistinct and not lymph_node:
        delta = cv2.GaussianBlur(delta, (0, 0), float(r.uniform(1.5, 3.0)) / geo.spacing)
    elif soft > 0:
        delta = cv2.GaussianBlur(delta, (0, 0), soft)
    if f.margin == MassMargin.obscured and not lymph_node:
        # overlying tissue hides part of the border
        side = np.cos(th - r.uniform(0, 6.3)) > 0
        delta = np.where(side & (u > 0.6), delta * 0.4, delta)
    if f.margin == MassMargin.spiculated and not lymph_node:
        sp = _spicules(ctx.gland.shape, cx, cy, 0.8 * radius, radius * float(r.uniform(1.0, 2.0)),
                       int(r.integers(10, 22)), 0.6 / geo.spacing + 0.3, r)
        delta = delta + sp * 5.0 * (MU_GLAND - MU_FAT)
    if AssociatedFeature.calcifications in f.associated_features:
        pts = _cluster_points(r, cx, cy, radius * 0.8, int(r.integers(6, 15)))
        delta = delta + _calc_canvas(ctx.gland.shape, pts, CalcMorphology.fine_pleomorphic, geo,
                                     r, None)
    return Drawn(delta.astype(np.float32), inside & ctx.breast_mask)


def _cluster_points(r: np.random.Generator, cx: float, cy: float, radius: float, n: int
                    ) -> np.ndarray:
    a = r.uniform(0, 2 * np.pi, n)
    d = radius * np.sqrt(r.uniform(0, 1, n))
    return np.stack([cx + d * np.cos(a), cy + d * np.sin(a)], axis=1)


def _calc_canvas(shape: tuple[int, int], pts: np.ndarray, morph: CalcMorphology,
                 geo: ViewGeometry, r: np.random.Generator, toward: tuple[float, float] | None
                 ) -> np.ndarray:
    """Calcium specks of one morphology drawn at _SS x resolution then area-reduced."""
    h, w = shape
    canvas = np.zeros((h * _SS, w * _SS), np.float32)
    px = _SS / geo.spacing * CALC_SCALE  # canvas pixels per (scaled) mm
    for x, y in pts:
        X, Y = x * _SS, y * _SS
        if morph in (CalcMorphology.punctate, CalcMorphology.amorphous):
            s = r.uniform(0.15, 0.3) if morph == CalcMorphology.amorphous else r.uniform(0.2, 0.45)
            val = s * MU_CALCIUM * (0.45 if morph == CalcMorphology.amorphous else 1.0)
            cv2.circle(canvas, (int(X), int(Y)), max(1, int(s * px / 2)), val, -1)
        elif morph in (CalcMorphology.round, CalcMorphology.coarse_heterogeneous,
                       CalcMorphology.dystrophic, CalcMorphology.milk_of_calcium):
            s = {CalcMorphology.round: (0.5, 1.0), CalcMorphology.coarse_heterogeneous: (0.4, 0.9),
                 CalcMorphology.dystrophic: (0.8, 2.0), CalcMorphology.milk_of_calcium: (0.5, 1.0)}[morph]
            s = r.uniform(*s)
            ax = (max(1, int(s * px / 2)), max(1, int(s * px / 2 * r.uniform(0.5, 1.0))))
            val = s * MU_CALCIUM * (0.5 if morph == CalcMorphology.milk_of_calcium else 0.8)
            cv2.ellipse(canvas, (int(X), int(Y)), ax, float(r.uniform(0, 180)), 0, 360, val, -1)
        elif morph == CalcMorphology.fine_pleomorphic:
            s = r.uniform(0.15, 0.45)
            ax = (max(1, int(s * px / 2 * r.uniform(1.0, 2.2))), max(1, int(s * px / 2 * r.uniform(0.4, 1.0))))
            cv2.ellipse(canvas, (int(X), int(Y)), ax, float(r.uniform(0, 180)), 0, 360,
                        s * MU_CALCIUM, -1)
        elif morph in (CalcMorphology.fine_linear, CalcMorphology.large_rod_like,
                       CalcMorphology.suture):
            wid, ln = ((0.15, 0.25), (0.8, 2.5)) if morph == CalcMorphology.fine_linear else (
                (0.6, 1.1), (3.0, 9.0))
            wd, lg = r.uniform(*wid), r.uniform(*ln)
            ang = math.atan2(toward[1] - y, toward[0] - x) if toward else r.uniform(0, 6.3)
            ang += r.normal(0, 0.25)
            dx, dy = math.cos(ang) * lg * px / 2, math.sin(ang) * lg * px / 2
            cv2.line(canvas, (int(X - dx), int(Y - dy)), (int(X + dx), int(Y + dy)),
                     wd * MU_CALCIUM, max(1, int(wd * px)))
            if morph == CalcMorphology.fine_linear and r.random() < 0.4:  # a branch
                b = ang + r.choice([-0.6, 0.6])
                cv2.line(canvas, (int(X + dx), int(Y + dy)),
                         (int(X + dx + math.cos(b) * lg * px / 3), int(Y + dy + math.sin(b) * lg * px / 3)),
                         wd * MU_CALCIUM, max(1, int(wd * px)))
        elif morph in (CalcMorphology.rim, CalcMorphology.skin):
            s = r.uniform(1.5, 3.5) if morph == CalcMorphology.rim else r.uniform(0.8, 1.6)
            cv2.circle(canvas, (int(X), int(Y)), max(2, int(s * px / 2)), 0.35 * MU_CALCIUM,
                       max(1, int(0.25 * px)))
        elif morph == CalcMorphology.coarse:
            s = r.uniform(2.0, 5.0)
            for _ in range(int(r.integers(3, 7))):
                ox, oy = r.normal(0, s * px / 5, 2)
                cv2.circle(canvas, (int(X + ox), int(Y + oy)), max(1, int(s * px / 5)),
                           1.0 * MU_CALCIUM, -1)
        else:  # vascular: handled by the caller (tracks along a vessel)
            cv2.circle(canvas, (int(X), int(Y)), max(1, int(0.3 * px)), 0.4 * MU_CALCIUM, -1)
    return CALC_GAIN * cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)


def draw_calcifications(ctx: ViewContext, f: Finding, pl: Placement, r: np.random.Generator
                        ) -> Drawn:
    geo = ctx.geo
    h, w = ctx.gland.shape
    cx, cy = ctx.centre(pl)
    radius = pl.size_mm / 2 / geo.spacing
    dist = f.distribution
    morph = f.morphology
    nip = (geo.x_nipple, geo.y_centre)
    if morph == CalcMorphology.vascular and ctx.vessels:
        line = ctx.vessels[int(r.integers(0, len(ctx.vessels)))]
        seg = line[: max(3, int(len(line) * r.uniform(0.4, 0.9)))]
        # tram-track segments along the vessel
        pts_list = []
        for (x0, y0), (x1, y1) in zip(seg[:-1], seg[1:]):
            if r.random() < 0.7:
                for t in np.linspace(0, 1, 4):
                    pts_list.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
        pts = np.array(pts_list or [tuple(seg[0])], np.float64)
        delta = _calc_canvas((h, w), pts, CalcMorphology.punctate, geo, r, None)
    else:
        if dist == CalcDistribution.diffuse:
            ys, xs = np.nonzero(ctx.breast_mask)
            idx = r.choice(len(xs), size=min(len(xs), int(r.integers(20, 60))), replace=False)
            pts = np.stack([xs[idx] + 0.5, ys[idx] + 0.5], axis=1).astype(np.float64)
        elif dist in (CalcDistribution.linear, CalcDistribution.segmental):
            n = int(r.integers(12, 35))
            ang = math.atan2(nip[1] - cy, nip[0] - cx)
            t = r.uniform(-1, 1, n) * radius
            spread = (0.08 if dist == CalcDistribution.linear else 0.35) * radius
            off = r.normal(0, 1, n) * spread * (0.3 + 0.7 * (t + radius) / (2 * radius))
            pts = np.stack([cx + t * math.cos(ang) - off * math.sin(ang),
                            cy + t * math.sin(ang) + off * math.cos(ang)], axis=1)
        else:
            n = {CalcDistribution.grouped: (6, 25), CalcDistribution.regional: (15, 45)}[dist]
            if morph == CalcMorphology.coarse:
                n = (1, 3)
            elif morph in (CalcMorphology.dystrophic, CalcMorphology.rim, CalcMorphology.large_rod_like):
                n = (2, 7)
            pts = _cluster_points(r, cx, cy, radius, int(r.integers(*n)))
        if morph == CalcMorphology.skin:  # dermal calcifications sit at the skin line
            m8 = ctx.breast_mask.astype(np.uint8)
            edge = np.argwhere((m8 - cv2.erode(m8, np.ones((3, 3), np.uint8))) > 0)
            if len(edge):
                near = edge[r.choice(len(edge), size=min(len(edge), len(pts)), replace=False)]
                pts = near[:, ::-1].astype(np.float64) + 0.5
        inside = ctx.breast_mask[np.clip(pts[:, 1].astype(int), 0, h - 1),
                                 np.clip(pts[:, 0].astype(int), 0, w - 1)]
        pts = pts[inside] if inside.any() else pts[:1]
        delta = _calc_canvas((h, w), pts, morph, geo, r, nip)
    spots = delta > 0.02 * float(delta.max(initial=1e-6))
    if dist == CalcDistribution.diffuse or morph == CalcMorphology.vascular:
        mask = cv2.dilate(spots.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    else:
        ys, xs = np.nonzero(spots)
        mask = np.zeros((h, w), np.uint8)
        if len(xs):
            hull = cv2.convexHull(np.stack([xs, ys], axis=1).astype(np.int32))
            cv2.fillConvexPoly(mask, hull, 1)
            mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        mask = mask > 0
    return Drawn(delta.astype(np.float32), mask & ctx.breast_mask)


def draw_asymmetry(ctx: ViewContext, f: Finding, pl: Placement, r: np.random.Generator,
                   texture: np.ndarray) -> Drawn:
    geo = ctx.geo
    cx, cy = ctx.centre(pl)
    if f.asymmetry_type == AsymmetryType.global_:
        # a quadrant-sized region of extra tissue
        cx, cy = geo.point(0.5, 0.5 * np.sign(pl.view_coordinate(ctx.view, ctx.mlo_angle)) or 0.5)
    radius = pl.size_mm / 2 / geo.spacing
    rr, th = _polar(ctx.gland.shape, cx, cy)
    ratio = r.uniform(0.6, 1.0)
    u = rr / (radius * (1 + 0.25 * np.cos(2 * th + r.uniform(0, 6.3))) * ratio ** 0.5)
    soft = np.clip(1.2 - u, 0, 1) * np.clip(0.7 + 0.6 * texture, 0, 1.5)
    soft = cv2.GaussianBlur(soft.astype(np.float32), (0, 0), max(1.0, 0.15 * radius))
    amp = 0.35 if f.asymmetry_type != AsymmetryType.global_ else 0.3
    delta = soft * amp * ctx.thickness * (MU_GLAND - ctx.mu_local()) * ctx.breast_mask
    return Drawn(delta.astype(np.float32), (soft > 0.5) & ctx.breast_mask)


def distortion_warp(ctx: ViewContext, pl: Placement, strength: float = 0.35
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Remap coordinates that pull tissue toward the centre of a distortion."""
    cx, cy = ctx.centre(pl)
    radius = pl.size_mm / 2 / ctx.geo.spacing
    h, w = ctx.gland.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx, dy = xx - cx, yy - cy
    g = 1 + strength * np.exp(-(dx * dx + dy * dy) / (2 * radius * radius))
    return (cx + dx * g).astype(np.float32), (cy + dy * g).astype(np.float32)


def draw_distortion(ctx: ViewContext, f: Finding, pl: Placement, r: np.random.Generator) -> Drawn:
    geo = ctx.geo
    cx, cy = ctx.centre(pl)
    radius = pl.size_mm / 2 / geo.spacing
    sp = _spicules(ctx.gland.shape, cx, cy, 0.05 * radius, radius, int(r.integers(12, 24)),
                   0.5 / geo.spacing + 0.3, r)
    delta = sp * 7.0 * (MU_GLAND - MU_FAT) * ctx.breast_mask
    rr, _ = _polar(ctx.gland.shape, cx, cy)
    return Drawn(delta.astype(np.float32), (rr < 0.6 * radius) & ctx.breast_mask)


def draw_implant(ctx: ViewContext, f: Finding, pl: Placement, r: np.random.Generator) -> Drawn:
    geo = ctx.geo
    cx = 0.3 * geo.x_nipple
    cy = geo.y_centre - (0.15 * geo.h_low if ctx.view == "MLO" else 0.0)
    a, b = 0.5 * geo.x_nipple, 0.55 * min(geo.h_low, geo.h_up)
    yy, xx = np.mgrid[0:geo.height, 0:geo.width].astype(np.float32)
    u = np.sqrt(((xx + 0.5 - cx) / a) ** 2 + ((yy + 0.5 - cy) / b) ** 2)
    inside = (u < 1) & ctx.breast_mask
    chord = 0.85 * ctx.thickness * np.sqrt(np.clip(1 - u * u, 0, 1))
    mu = 0.14 if f.implant_material == ImplantMaterial.silicone else 0.085
    delta = cv2.GaussianBlur((chord * (mu - ctx.mu_local())).astype(np.float32), (0, 0), 0.7)
    return Drawn(delta * ctx.breast_mask, inside)


def draw_finding(ctx: ViewContext, f: Finding, pl: Placement, r: np.random.Generator,
                 texture: np.ndarray) -> Drawn | None:
    """Dispatch on the finding kind; None for kinds with nothing to draw in this view."""
    if ctx.view not in pl.views:
        return None
    if f.kind == FindingKind.mass:
        return draw_mass(ctx, f, pl, r)
    if f.kind == FindingKind.lymph_node:
        return draw_mass(ctx, f, pl, r, lymph_node=True)
    if f.kind == FindingKind.calcification:
        return draw_calcifications(ctx, f, pl, r)
    if f.kind == FindingKind.asymmetry:
        return draw_asymmetry(ctx, f, pl, r, texture)
    if f.kind == FindingKind.architectural_distortion:
        return draw_distortion(ctx, f, pl, r)
    if f.kind == FindingKind.implant:
        return draw_implant(ctx, f, pl, r)
    return None
