"""Random, schema-valid and clinically plausible Exam records (for writer/parser round trips).

Every value the writer can express is drawn here, so ``parse(write(random_exam(rng)))`` tests
the whole vocabulary. The synthetic cohort has its own, richer generator; this one aims at
coverage of the report language rather than at realistic prevalence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

import numpy as np

from mammofm.birads import (
    Assessment,
    AssociatedFeature,
    AsymmetryType,
    Breast,
    CalcDistribution,
    CalcMorphology,
    Certainty,
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
    Modality,
    Pathology,
    Quadrant,
    Recommendation,
    Stability,
    View,
    combine_assessments,
    quadrant_from_clock,
)
from mammofm.birads.lexicon import DEFAULT_RECOMMENDATION, SUSPICIOUS_CALC_MORPHOLOGY

T = TypeVar("T")

_LESION_KINDS = (FindingKind.mass, FindingKind.calcification, FindingKind.asymmetry,
                 FindingKind.architectural_distortion, FindingKind.lymph_node,
                 FindingKind.skin_lesion, FindingKind.dilated_duct)
_LESION_P = np.array([0.36, 0.28, 0.14, 0.08, 0.08, 0.03, 0.03])
#: the kinds a normal screening report typically negates
NEGATED_KINDS = (FindingKind.mass, FindingKind.calcification, FindingKind.architectural_distortion)
_SUSPICIOUS_ASSESSMENTS = (Assessment.c4A, Assessment.c4B, Assessment.c4C, Assessment.c5)


def _as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)


def _pick(rng: np.random.Generator, items: Any, p: Any = None) -> Any:
    items = list(items)
    return items[int(rng.choice(len(items), p=p))]


def _maybe(rng: np.random.Generator, prob: float, value: T) -> T | None:
    return value if rng.random() < prob else None


def _location(rng: np.random.Generator, lat: Laterality, kind: FindingKind) -> Location:
    if kind == FindingKind.skin_lesion:
        return Location(quadrant=_maybe(rng, 0.5, _pick(rng, [Quadrant.UOQ, Quadrant.LIQ])))
    style = rng.random()
    clock: float | None = None
    quadrant: Quadrant | None = None
    if style < 0.12 and kind in (FindingKind.mass, FindingKind.calcification,
                                 FindingKind.dilated_duct):
        quadrant = Quadrant.retroareolar
    elif style < 0.18 and kind == FindingKind.lymph_node:
        quadrant = Quadrant.axillary_tail
    else:
        if rng.random() < 0.75:
            clock = float(int(rng.integers(1, 13))) + (0.5 if rng.random() < 0.2 else 0.0)
            clock = 12.0 if clock > 12 else clock
        if clock is None or rng.random() < 0.6:
            quadrant = quadrant_from_clock(lat, clock) if clock is not None else _pick(
                rng, [Quadrant.UOQ, Quadrant.UIQ, Quadrant.LOQ, Quadrant.LIQ,
                      Quadrant.central])
    depth = _maybe(rng, 0.5, _pick(rng, list(Depth)))
    dist = _maybe(rng, 0.4, float(int(rng.integers(1, 15))) + (0.5 if rng.random() < 0.3 else 0.0))
    return Location(quadrant=quadrant, clock=clock, depth=depth, distance_from_nipple_cm=dist)


def _lesion(rng: np.random.Generator, lat: Laterality, kind: FindingKind,
            indication: Indication, compared: bool) -> Finding:
    kw: dict[str, Any] = {"kind": kind}
    if kind == FindingKind.mass:
        kw["shape"] = _maybe(rng, 0.8, _pick(rng, list(MassShape)))
        kw["margin"] = _maybe(rng, 0.8, _pick(rng, list(MassMargin)))
        kw["density"] = _maybe(rng, 0.35, _pick(rng, list(MassDensity)))
        kw["size_mm"] = _maybe(rng, 0.85, float(int(rng.integers(4, 45))))
    elif kind == FindingKind.calcification:
        kw["morphology"] = _maybe(rng, 0.85, _pick(rng, list(CalcMorphology)))
        kw["distribution"] = _maybe(rng, 0.7, _pick(rng, list(CalcDistribution)))
        kw["size_mm"] = _maybe(rng, 0.3, float(int(rng.integers(3, 40))))
    elif kind == FindingKind.asymmetry:
        kw["asymmetry_type"] = _pick(rng, list(AsymmetryType))
        kw["size_mm"] = _maybe(rng, 0.3, float(int(rng.integers(8, 50))))
    elif kind == FindingKind.lymph_node:
        kw["size_mm"] = _maybe(rng, 0.6, float(int(rng.integers(4, 20))))
    elif kind == FindingKind.dilated_duct:
        kw["size_mm"] = _maybe(rng, 0.3, float(int(rng.integers(3, 30))))
    if kind in (FindingKind.mass, FindingKind.asymmetry, FindingKind.architectural_distortion) \
            and rng.random() < 0.25:
        pool = [f for f in AssociatedFeature
                if not (kind == FindingKind.architectural_distortion
                        and f == AssociatedFeature.architectural_distortion)]
        n = int(rng.integers(1, 3))
        idx = rng.choice(len(pool), size=n, replace=False)
        kw["associated_features"] = [pool[i] for i in sorted(idx)]
    kw["location"] = _location(rng, lat, kind)
    if rng.random() < 0.45:
        n = int(rng.integers(1, 3))
        kw["views"] = [View.CC, View.MLO][:n] if rng.random() < 0.7 else [View.MLO]
    kw["certainty"] = Certainty.uncertain if rng.random() < 0.1 else Certainty.present
    if compared and rng.random() < 0.5:
        kw["stability"] = _pick(rng, [Stability.new, Stability.stable, Stability.increased,
                                      Stability.decreased])
    if kind in (FindingKind.mass, FindingKind.calcification) and rng.random() < 0.08:
        kw["previously_biopsied"] = True
        kw["pathology"] = _maybe(rng, 0.6, Pathology.benign)
    if indication == Indication.diagnostic and kind == FindingKind.mass and rng.random() < 0.2:
        kw["modality"] = _pick(rng, [Modality.ultrasound, Modality.tomosynthesis])
    return Finding(**kw)


def _assess(f: Finding) -> Assessment:
    """A plausible category for one finding."""
    if f.pathology == Pathology.benign:
        return Assessment.c2
    if f.kind in (FindingKind.lymph_node, FindingKind.skin_lesion):
        return Assessment.c2
    if f.kind == FindingKind.calcification:
        if f.morphology in SUSPICIOUS_CALC_MORPHOLOGY:
            return Assessment.c4B
        return Assessment.c2
    if f.kind == FindingKind.mass:
        if f.margin == MassMargin.spiculated or f.shape == MassShape.irregular:
            return Assessment.c5 if f.margin == MassMargin.spiculated else Assessment.c4B
        if f.margin == MassMargin.circumscribed:
            return Assessment.c3
        return Assessment.c4A
    if f.kind == FindingKind.architectural_distortion:
        return Assessment.c4C
    if f.kind == FindingKind.asymmetry:
        return Assessment.c0 if f.asymmetry_type == AsymmetryType.asymmetry else Assessment.c3
    return Assessment.c2


def random_exam(rng: np.random.Generator | int | None = None) -> Exam:
    """One random exam record: schema-valid, plausible, covering the writer's vocabulary."""
    rng = _as_rng(rng)
    indication = Indication.screening if rng.random() < 0.6 else Indication.diagnostic
    sides = [Laterality.R, Laterality.L]
    if indication == Indication.diagnostic and rng.random() < 0.25:
        sides = [_pick(rng, sides)]
    comp = _maybe(rng, 0.93, _pick(rng, list(Composition)))
    compared = rng.random() < 0.6
    implants = rng.random() < 0.06
    implant = None
    if implants:
        implant = Finding(kind=FindingKind.implant,
                          implant_material=_maybe(rng, 0.8, _pick(rng, list(ImplantMaterial))),
                          implant_position=_maybe(rng, 0.7, _pick(rng, list(ImplantPosition))),
                          implant_rupture=_maybe(rng, 0.6, bool(rng.random() < 0.15)),
                          views=[View.CC, View.MLO] if rng.random() < 0.3 else [],
                          stability=Stability.stable if compared and rng.random() < 0.3 else None)
    breasts: dict[Laterality, Breast] = {}
    truth: dict[Laterality, Assessment] = {}
    for lat in sides:
        findings: list[Finding] = []
        if implant is not None:
            findings.append(implant.model_copy(deep=True))
        n = int(rng.choice(4, p=[0.45, 0.35, 0.15, 0.05]))
        for _ in range(n):
            kind = _pick(rng, _LESION_KINDS, p=_LESION_P / _LESION_P.sum())
            if any(f.kind == kind for f in findings):
                continue  # one finding per kind per breast keeps prose unambiguous
            findings.append(_lesion(rng, lat, kind, indication, compared))
        lesions = [f for f in findings if f.kind != FindingKind.implant]
        if rng.random() < 0.6:
            for kind in NEGATED_KINDS:
                if not any(f.kind == kind for f in findings):
                    findings.append(Finding(kind=kind, certainty=Certainty.negated))
        assessments = [_assess(f) for f in lesions]
        if any(f.certainty == Certainty.uncertain for f in lesions):
            assessments.append(Assessment.c0)
        assessment = combine_assessments(assessments) or Assessment.c1
        if assessment in _SUSPICIOUS_ASSESSMENTS and rng.random() < 0.15:
            assessment = Assessment.c4
        breast_comp = comp if rng.random() < 0.95 else _maybe(rng, 0.8, _pick(rng, list(Composition)))
        truth[lat] = assessment
        breasts[lat] = Breast(composition=breast_comp, findings=findings,
                              assessment=_maybe(rng, 0.8, assessment))
    # the stated overall category, or (as readers derive it) the most worrisome per-breast one
    overall = combine_assessments(truth.values())
    recs: list[Recommendation] = []
    key = overall or combine_assessments(b.assessment for b in breasts.values())
    if key is not None and rng.random() < 0.9:
        recs.append(DEFAULT_RECOMMENDATION[key])
        if key == Assessment.c0 and rng.random() < 0.5:
            recs.append(Recommendation.ultrasound)
        if key in _SUSPICIOUS_ASSESSMENTS and rng.random() < 0.3:
            recs.append(Recommendation.surgical_consultation)
        if rng.random() < 0.05:
            recs.append(Recommendation.clinical_correlation)
    comparison: Comparison | None
    if compared:
        prior = None
        if rng.random() < 0.7:
            prior = dt.date(2014, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3000)))
        change = _maybe(rng, 0.5, _pick(rng, [Stability.stable, Stability.new,
                                              Stability.increased, Stability.decreased]))
        comparison = Comparison(compared=True, prior_date=prior, change=change)
    else:
        comparison = _maybe(rng, 0.7, Comparison(compared=False))
    exam_date = dt.date(2022, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1400)))
    return Exam(
        exam_date=_maybe(rng, 0.8, exam_date),
        indication=indication,
        patient_age=_maybe(rng, 0.6, int(rng.integers(35, 90))),
        breasts=breasts,
        overall_assessment=overall,
        recommendations=recs,
        comparison=comparison,
    )
