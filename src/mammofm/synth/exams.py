"""Sampling the ground truth of one synthetic patient: a BI-RADS ``Exam`` plus the hidden
geometry the renderer needs (where each finding sits in the 3-D breast, how big, its seed).

The causal order mimics the clinic: pathology is drawn first, the descriptors a radiologist
would see are drawn given the pathology (irregular / spiculated masses and fine linear or
fine pleomorphic clusters more often malignant), and the assessment is derived from the
descriptors only, so the assessment predicts malignancy the way BI-RADS PPVs say it does.
Every draw comes from ``rng(seed, patient_index, ...)``: a patient does not depend on N.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from mammofm.birads import (
    Assessment,
    AssociatedFeature,
    AsymmetryType,
    Breast,
    CalcDistribution,
    CalcMorphology,
    Comparison,
    Composition,
    Depth,
    Exam,
    Finding,
    FindingKind,
    ImplantMaterial,
    ImplantPosition,
    Indication,
    Laterality,
    Location,
    MassDensity,
    MassMargin,
    MassShape,
    Pathology,
    Quadrant,
    Stability,
    View,
    combine_assessments,
    quadrant_from_clock,
)
from mammofm.birads.lexicon import DEFAULT_RECOMMENDATION, SUSPICIOUS_CALC_MORPHOLOGY
from mammofm.common.seed import derive_seed, rng as make_rng

from .config import Prevalence

COMPOSITIONS = (Composition.a, Composition.b, Composition.c, Composition.d)
#: projected (area) glandular fraction range per composition
GLAND_FRACTION = {Composition.a: (0.04, 0.2), Composition.b: (0.22, 0.42),
                  Composition.c: (0.46, 0.66), Composition.d: (0.7, 0.85)}
#: malignancy rate of each suspicious calcification morphology (BI-RADS 5th ed. PPVs)
CALC_PPV = {CalcMorphology.amorphous: 0.2, CalcMorphology.coarse_heterogeneous: 0.15,
            CalcMorphology.fine_pleomorphic: 0.3, CalcMorphology.fine_linear: 0.7}
_BENIGN_CALCS = (CalcMorphology.punctate, CalcMorphology.round, CalcMorphology.coarse,
                 CalcMorphology.vascular, CalcMorphology.rim, CalcMorphology.large_rod_like,
                 CalcMorphology.dystrophic, CalcMorphology.milk_of_calcium, CalcMorphology.skin)
_BENIGN_CALC_P = np.array([0.3, 0.2, 0.12, 0.14, 0.06, 0.06, 0.04, 0.04, 0.04])


@dataclass
class Placement:
    """Where a finding lies in the 3-D breast model, in normalised coordinates.

    ``d``: posterior depth, 0 at the nipple, 1 at the chest wall; ``rho``: coronal radius,
    0 on the nipple axis, 1 at the skin; ``clock``: clock face (hours, patient-facing).
    ``lateral``/``superior``: the coronal unit components (lateral positive). ``views``: the
    views the finding is visible in; ``size_mm`` its size; ``seed`` its private stream.
    """

    d: float
    rho: float
    clock: float
    lateral: float
    superior: float
    size_mm: float
    seed: int
    views: tuple[str, ...] = ("CC", "MLO")
    extra: dict[str, float] = field(default_factory=dict)

    def view_coordinate(self, view: str, mlo_angle_deg: float = 45.0) -> float:
        """Signed normalised vertical position in a view's canonical frame (positive = up)."""
        if view == "CC":
            return self.rho * self.lateral
        a = math.radians(mlo_angle_deg)
        return self.rho * (self.superior * math.cos(a) + self.lateral * math.sin(a))


@dataclass
class BreastPlan:
    laterality: str
    composition: Composition
    gland_fraction: float
    depth_mm: float  # nipple to chest wall in the CC view
    radius_mm: float  # half-height of the compressed breast at the chest wall (CC)
    thickness_mm: float
    implant: Finding | None
    findings: list[Finding]
    placements: list[Placement]
    seed: int
    mlo_angle: float = 45.0


@dataclass
class PatientPlan:
    index: int
    exam: Exam
    breasts: dict[str, BreastPlan]
    age: int
    seed: int


def _choice(r: np.random.Generator, items: tuple, p: list[float] | np.ndarray):
    p = np.asarray(p, dtype=float)
    return items[int(r.choice(len(items), p=p / p.sum()))]


def _location(r: np.random.Generator, lat: str, favour_uoq: bool) -> tuple[Location, Placement]:
    """A clock face / depth / distance drawn like real lesion sites (upper outer most often)."""
    if favour_uoq and r.random() < 0.45:
        # upper outer: 9-12 on the right, 12-3 on the left
        clock = (9.5 + r.random() * 2.5) if lat == "R" else (0.5 + r.random() * 2.5)
    else:
        clock = r.random() * 12
    clock = round(clock * 2) / 2 or 12.0
    d = float(r.uniform(0.15, 0.92))
    rho = float(min(0.85, math.sqrt(r.random()) * 0.85 + 0.05))
    angle = math.radians(clock * 30.0)
    sign = 1.0 if lat == "L" else -1.0  # 3 o'clock is lateral on the left breast
    lateral, superior = sign * math.sin(angle), math.cos(angle)
    depth = Depth.anterior if d < 1 / 3 else (Depth.middle if d < 2 / 3 else Depth.posterior)
    quadrant = quadrant_from_clock(lat, clock)
    if d < 0.2 and rho < 0.35:
        quadrant = Quadrant.retroareolar
    placement = Placement(d=d, rho=rho, clock=clock, lateral=lateral, superior=superior,
                          size_mm=0.0, seed=0)
    return Location(quadrant=quadrant, clock=clock, depth=depth), placement


def _mass(r: np.random.Generator, malignant: bool, comp: Composition) -> dict:
    if malignant:
        shape = _choice(r, (MassShape.irregular, MassShape.oval, MassShape.round), [0.72, 0.18, 0.1])
        margin = _choice(r, (MassMargin.spiculated, MassMargin.indistinct, MassMargin.microlobulated,
                             MassMargin.obscured, MassMargin.circumscribed),
                         [0.42, 0.28, 0.15, 0.08, 0.07])
        density = _choice(r, (MassDensity.high, MassDensity.equal, MassDensity.low), [0.6, 0.35, 0.05])
        size = float(np.clip(r.lognormal(math.log(16), 0.4), 7, 45))
    else:
        dense = comp in (Composition.c, Composition.d)
        shape = _choice(r, (MassShape.oval, MassShape.round, MassShape.irregular), [0.6, 0.26, 0.14])
        margin = _choice(r, (MassMargin.circumscribed, MassMargin.obscured, MassMargin.indistinct,
                             MassMargin.microlobulated, MassMargin.spiculated),
                         [0.55, 0.35 if dense else 0.18, 0.1, 0.06, 0.03])
        density = _choice(r, (MassDensity.equal, MassDensity.low, MassDensity.high,
                              MassDensity.fat_containing), [0.5, 0.22, 0.16, 0.12])
        if density == MassDensity.fat_containing:
            margin = MassMargin.circumscribed
        size = float(np.clip(r.lognormal(math.log(12), 0.4), 5, 35))
    return {"shape": shape, "margin": margin, "density": density, "size_mm": round(size, 1)}


def mass_assessment(f: Finding) -> Assessment:
    """BI-RADS category a radiologist gives a mass from its descriptors alone."""
    if f.density == MassDensity.fat_containing:
        return Assessment.c2
    score = {MassShape.oval: 0, MassShape.round: 0, MassShape.irregular: 2}[f.shape]
    score += {MassMargin.circumscribed: 0, MassMargin.obscured: 1, MassMargin.microlobulated: 2,
              MassMargin.indistinct: 2, MassMargin.spiculated: 3}[f.margin]
    score += 1 if f.density == MassDensity.high else 0
    return (Assessment.c3, Assessment.c4A, Assessment.c4A, Assessment.c4B, Assessment.c4C,
            Assessment.c5, Assessment.c5)[min(score, 6)]


def calc_assessment(f: Finding) -> Assessment:
    if f.morphology not in SUSPICIOUS_CALC_MORPHOLOGY:
        return Assessment.c2
    order = (Assessment.c4A, Assessment.c4B, Assessment.c4C, Assessment.c5)
    base = {CalcMorphology.amorphous: 0, CalcMorphology.coarse_heterogeneous: 0,
            CalcMorphology.fine_pleomorphic: 1, CalcMorphology.fine_linear: 2}[f.morphology]
    if f.distribution in (CalcDistribution.linear, CalcDistribution.segmental):
        base += 1
    return order[min(base, 3)]


def _calc(r: np.random.Generator, suspicious: bool, risk: float) -> tuple[dict, bool]:
    if suspicious:
        morph = _choice(r, tuple(CALC_PPV), [0.3, 0.15, 0.35, 0.2])
        dist = _choice(r, (CalcDistribution.grouped, CalcDistribution.linear,
                           CalcDistribution.segmental, CalcDistribution.regional),
                       [0.62, 0.14, 0.14, 0.1])
        ppv = CALC_PPV[morph] * (1.6 if dist in (CalcDistribution.linear,
                                                  CalcDistribution.segmental) else 1.0)
        malignant = bool(r.random() < min(0.95, ppv * risk))
        size = float(r.uniform(5, 18)) if dist == CalcDistribution.grouped else float(r.uniform(15, 40))
    else:
        morph = _choice(r, _BENIGN_CALCS, _BENIGN_CALC_P)
        if morph in (CalcMorphology.punctate, CalcMorphology.round):
            dist = _choice(r, (CalcDistribution.diffuse, CalcDistribution.regional,
                               CalcDistribution.grouped), [0.45, 0.3, 0.25])
        elif morph == CalcMorphology.large_rod_like:
            dist = CalcDistribution.segmental if r.random() < 0.3 else CalcDistribution.regional
        else:
            dist = CalcDistribution.regional if r.random() < 0.5 else CalcDistribution.grouped
        malignant = False
        size = {CalcDistribution.diffuse: 60.0, CalcDistribution.regional: 35.0,
                CalcDistribution.segmental: 35.0}.get(dist, 12.0) * float(r.uniform(0.7, 1.3))
    return {"morphology": morph, "distribution": dist, "size_mm": round(size, 1)}, malignant


def _findings_of_breast(r: np.random.Generator, seed: int, lat: str, comp: Composition,
                        prev: Prevalence) -> tuple[list[Finding], list[Placement]]:
    risk = prev.density_risk[COMPOSITIONS.index(comp)]
    findings: list[Finding] = []
    placements: list[Placement] = []

    def place(kind_key: str, size: float, favour_uoq: bool = True,
              views: tuple[str, ...] = ("CC", "MLO")) -> tuple[Location, Placement]:
        for _ in range(12):  # keep findings apart so their boxes do not merge
            loc, pl = _location(r, lat, favour_uoq)
            if all(abs(pl.d - q.d) + abs(pl.view_coordinate("CC") - q.view_coordinate("CC"))
                   > 0.35 for q in placements):
                break
        pl.size_mm = size
        pl.views = views
        pl.seed = derive_seed(seed, kind_key, len(placements))
        return loc, pl

    def add(f: Finding, pl: Placement) -> None:
        findings.append(f)
        placements.append(pl)

    if r.random() < prev.mass:
        malignant = bool(r.random() < min(0.95, prev.mass_malignant * risk))
        d = _mass(r, malignant, comp)
        size = d.pop("size_mm")
        loc, pl = place("mass", size)
        feats: list[AssociatedFeature] = []
        if malignant and r.random() < 0.25:
            feats.append(AssociatedFeature.calcifications)
        if malignant and size > 20 and r.random() < 0.3:
            feats.append(AssociatedFeature.skin_thickening)
        f = Finding(kind=FindingKind.mass, **d, size_mm=size, location=loc, views=[View.CC, View.MLO],
                    associated_features=feats,
                    pathology=Pathology.malignant if malignant else (
                        Pathology.high_risk if r.random() < 0.05 else Pathology.benign))
        f.assessment = mass_assessment(f)
        add(f, pl)
    for suspicious, p in ((True, prev.calc_suspicious), (False, prev.calc_benign)):
        if r.random() < p:
            d, malignant = _calc(r, suspicious, risk)
            size = d.pop("size_mm")
            loc, pl = place("calc", size)
            if d["distribution"] == CalcDistribution.diffuse:
                loc = Location()  # diffuse calcifications have no single site
            f = Finding(kind=FindingKind.calcification, **d, size_mm=size, location=loc,
                        views=[View.CC, View.MLO],
                        pathology=Pathology.malignant if malignant else Pathology.benign)
            f.assessment = calc_assessment(f)
            add(f, pl)
    if r.random() < prev.asymmetry:
        atype = _choice(r, (AsymmetryType.focal, AsymmetryType.global_, AsymmetryType.asymmetry),
                        [0.55, 0.25, 0.2])
        malignant = atype != AsymmetryType.global_ and r.random() < prev.asymmetry_malignant * risk
        size = float(r.uniform(15, 35)) if atype != AsymmetryType.global_ else float(r.uniform(50, 80))
        views = ("CC", "MLO") if atype != AsymmetryType.asymmetry else (
            ("CC",) if r.random() < 0.5 else ("MLO",))
        loc, pl = place("asym", size, views=views)
        assess = {AsymmetryType.focal: Assessment.c3, AsymmetryType.global_: Assessment.c2,
                  AsymmetryType.asymmetry: Assessment.c0}[atype]
        if atype == AsymmetryType.focal and r.random() < 0.3:
            assess = Assessment.c4A
        add(Finding(kind=FindingKind.asymmetry, asymmetry_type=atype, size_mm=round(size, 1),
                    location=loc, views=[View(v) for v in views], assessment=assess,
                    pathology=Pathology.malignant if malignant else Pathology.benign), pl)
    if r.random() < prev.architectural_distortion:
        malignant = bool(r.random() < min(0.95, prev.distortion_malignant * risk))
        size = float(r.uniform(15, 35))
        loc, pl = place("ad", size)
        path = Pathology.malignant if malignant else (
            Pathology.high_risk if r.random() < 0.6 else Pathology.benign)
        add(Finding(kind=FindingKind.architectural_distortion, size_mm=round(size, 1),
                    location=loc, views=[View.CC, View.MLO], pathology=path,
                    assessment=Assessment.c4C if r.random() < 0.5 else Assessment.c4B), pl)
    if r.random() < prev.lymph_node:
        size = float(r.uniform(5, 12))
        loc, pl = _location(r, lat, favour_uoq=True)
        # intramammary nodes sit in the upper outer breast, usually seen on the MLO only
        clock = 10.5 if lat == "R" else 1.5
        angle = math.radians(clock * 30.0)
        pl.clock, pl.lateral, pl.superior = clock, (1.0 if lat == "L" else -1.0) * math.sin(angle), math.cos(angle)
        pl.lateral = abs(pl.lateral)
        pl.d, pl.rho, pl.size_mm = float(r.uniform(0.55, 0.85)), float(r.uniform(0.6, 0.85)), size
        pl.views = ("MLO",) if r.random() < 0.6 else ("CC", "MLO")
        pl.seed = derive_seed(seed, "node")
        loc = Location(quadrant=quadrant_from_clock(lat, clock), clock=clock,
                       depth=Depth.posterior if pl.d > 2 / 3 else Depth.middle)
        add(Finding(kind=FindingKind.lymph_node, size_mm=round(size, 1), location=loc,
                    views=[View(v) for v in pl.views], assessment=Assessment.c2,
                    pathology=Pathology.benign), pl)
    return findings, placements


def _round_location_distance(f: Finding, pl: Placement, depth_mm: float, radius_mm: float) -> None:
    if f.location.is_empty():
        return
    dist = math.hypot(pl.d * depth_mm, pl.rho * radius_mm * math.sqrt(pl.d)) / 10.0
    f.location = f.location.model_copy(update={"distance_from_nipple_cm": round(dist * 2) / 2 or 0.5})


def sample_patient(seed: int, index: int, prev: Prevalence, *, site: str = "mixed",
                   id_prefix: str = "SYN") -> PatientPlan:
    """The ground truth and render plan of patient ``index`` of a cohort with ``seed``."""
    from mammofm.dicom.write import deterministic_uid

    r = make_rng(seed, index, "exam")
    age = int(np.clip(r.normal(57, 9), 40, 85))
    # younger women have denser breasts
    p = np.array(prev.composition) * np.array([1 + (age - 57) * 0.03, 1.0, 1.0,
                                               max(0.2, 1 - (age - 57) * 0.04)])
    comp = _choice(r, COMPOSITIONS, np.clip(p, 1e-3, None))
    patient_id = f"{id_prefix}-{site}-{seed}-{index:05d}"
    study_uid = str(deterministic_uid(seed, site, index, "study"))
    exam_date = dt.date(2016, 1, 4) + dt.timedelta(days=int(r.integers(0, 8 * 365)))
    implant = None
    if r.random() < prev.implant_per_patient:
        implant = dict(implant_material=_choice(r, (ImplantMaterial.silicone, ImplantMaterial.saline),
                                                [0.7, 0.3]),
                       implant_position=_choice(r, (ImplantPosition.subglandular,
                                                    ImplantPosition.subpectoral), [0.4, 0.6]),
                       implant_rupture=bool(r.random() < 0.05))
    base_size = float(r.uniform(0.8, 1.2))
    gland = float(r.uniform(*GLAND_FRACTION[comp]))
    breasts: dict[str, BreastPlan] = {}
    exam_breasts: dict[Laterality, Breast] = {}
    compared = bool(r.random() < prev.comparison_fraction)
    for lat in ("L", "R"):
        bseed = derive_seed(seed, index, "breast", lat)
        br = make_rng(bseed, "findings")
        findings, placements = _findings_of_breast(br, bseed, lat, comp, prev)
        imp_finding = None
        if implant is not None:
            imp_finding = Finding(kind=FindingKind.implant, views=[View.CC, View.MLO],
                                  assessment=Assessment.c2, **implant)
            if implant["implant_rupture"] and lat == "R":
                imp_finding.implant_rupture = False  # rupture on one side only
            findings.append(imp_finding)
            placements.append(Placement(d=0.75, rho=0.0, clock=12.0, lateral=0.0, superior=0.0,
                                        size_mm=0.0, seed=derive_seed(bseed, "implant")))
        depth = float(np.clip(r.normal(85, 15) * base_size, 50, 125))
        radius = float(np.clip(r.normal(80, 10) * base_size, 55, 110))
        thick = float(np.clip(r.normal(55, 9) * base_size, 30, 80))
        for f, pl in zip(findings, placements):
            _round_location_distance(f, pl, depth, radius)
            if compared:
                f.stability = Stability.new if (f.assessment and f.assessment.value.startswith(
                    ("4", "5", "0"))) else Stability.stable
        assessment = combine_assessments(f.assessment for f in findings) or Assessment.c1
        if compared and assessment == Assessment.c3 and r.random() < 0.4:
            # a probably-benign finding stable on priors is downgraded to benign
            assessment = Assessment.c2
        exam_breasts[Laterality(lat)] = Breast(composition=comp, findings=findings,
                                                assessment=assessment)
        breasts[lat] = BreastPlan(
            laterality=lat, composition=comp,
            gland_fraction=float(np.clip(gland + br.normal(0, 0.02), 0.02, 0.9)),
            depth_mm=depth, radius_mm=radius, thickness_mm=thick, implant=imp_finding,
            findings=findings, placements=placements, seed=bseed,
            mlo_angle=float(r.uniform(40, 55)))
    overall = combine_assessments(b.assessment for b in exam_breasts.values())
    recs = [DEFAULT_RECOMMENDATION[overall]] if overall is not None else []
    indication = Indication.diagnostic if r.random() < prev.diagnostic_fraction else Indication.screening
    comparison = Comparison(compared=compared,
                            prior_date=(exam_date - dt.timedelta(days=int(r.integers(330, 800))))
                            if compared else None,
                            change=(Stability.new if overall and overall.value.startswith(("0", "4", "5"))
                                    else Stability.stable) if compared else None)
    exam = Exam(study_id=study_uid, patient_id=patient_id, exam_date=exam_date,
                indication=indication, patient_age=age, breasts=exam_breasts,
                overall_assessment=overall, recommendations=recs, comparison=comparison)
    return PatientPlan(index=index, exam=exam, breasts=breasts, age=age,
                       seed=derive_seed(seed, index))
