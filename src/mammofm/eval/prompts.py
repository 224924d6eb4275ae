"""Zero-shot prompts written from prototype Exam records.

A CLIP model learned from reports, so the fairest prompt for a class is the report that class
would get: we build a minimal Exam (one breast with the finding, or a given composition) and
let ``mammofm.reports.write`` phrase it. No BI-RADS term is spelled here; the writer asks the
lexicon.
"""

from __future__ import annotations

from functools import lru_cache

from mammofm.birads import (
    Assessment,
    Breast,
    Composition,
    Exam,
    Finding,
    FindingKind,
    Laterality,
    MassMargin,
    MassShape,
    Pathology,
)
from mammofm.birads.labels import COMPOSITION_CLASSES

STYLE = "narrative"


def _other(lat: Laterality) -> Laterality:
    return Laterality.R if lat == Laterality.L else Laterality.L


def _exam(lat: Laterality, breast: Breast) -> Exam:
    normal = Breast(composition=breast.composition, assessment=Assessment.c1)
    return Exam(breasts={lat: breast, _other(lat): normal})


def _write(exam: Exam) -> str:
    from mammofm.reports import write

    return write(exam, STYLE, 0)


def _finding_prompts(kind: FindingKind, lat: Laterality) -> list[str]:
    """[negative, positive] for the presence of one finding kind in one breast."""
    negative = Breast(composition=Composition.b, assessment=Assessment.c1)
    finding = Finding(kind=kind)
    if kind == FindingKind.mass:
        finding = Finding(kind=kind, shape=MassShape.oval, margin=MassMargin.circumscribed)
    positive = Breast(composition=Composition.b, findings=[finding], assessment=Assessment.c3)
    return [_write(_exam(lat, negative)), _write(_exam(lat, positive))]


def _malignancy_prompts(lat: Laterality) -> list[str]:
    benign = Breast(composition=Composition.b, assessment=Assessment.c2, findings=[
        Finding(kind=FindingKind.mass, shape=MassShape.oval, margin=MassMargin.circumscribed,
                pathology=Pathology.benign)])
    malignant = Breast(composition=Composition.b, assessment=Assessment.c5, findings=[
        Finding(kind=FindingKind.mass, shape=MassShape.irregular, margin=MassMargin.spiculated,
                pathology=Pathology.malignant)])
    return [_write(_exam(lat, benign)), _write(_exam(lat, malignant))]


def _composition_prompts(lat: Laterality) -> list[str]:
    return [_write(_exam(lat, Breast(composition=Composition(c), assessment=Assessment.c1)))
            for c in COMPOSITION_CLASSES]


@lru_cache(maxsize=64)
def class_prompts(column: str, laterality: str) -> tuple[str, ...]:
    """One prompt per class index of a label column, for a breast of ``laterality``.

    Raises KeyError for label columns without a zero-shot formulation.
    """
    lat = Laterality(laterality)
    if column == "composition_class":
        return tuple(_composition_prompts(lat))
    if column == "malignant":
        return tuple(_malignancy_prompts(lat))
    kinds = {"mass": FindingKind.mass, "calcification": FindingKind.calcification,
             "asymmetry": FindingKind.asymmetry,
             "architectural_distortion": FindingKind.architectural_distortion}
    if column in kinds:
        return tuple(_finding_prompts(kinds[column], lat))
    raise KeyError(f"no zero-shot prompts for label {column!r}")


@lru_cache(maxsize=64)
def quadrant_prompts(laterality: str, quadrants: tuple[str, ...]) -> tuple[str, ...]:
    """One report per candidate quadrant: a mass located there in this breast."""
    from mammofm.birads import Location, Quadrant

    lat = Laterality(laterality)
    out = []
    for q in quadrants:
        mass = Finding(kind=FindingKind.mass, location=Location(quadrant=Quadrant(q)))
        breast = Breast(composition=Composition.b, assessment=Assessment.c3, findings=[mass])
        out.append(_write(_exam(lat, breast)))
    return tuple(out)


@lru_cache(maxsize=64)
def assessment_prompts(laterality: str, categories: tuple[str, ...]) -> tuple[str, ...]:
    """One report per candidate assessment category of this breast."""
    lat = Laterality(laterality)
    return tuple(_write(_exam(lat, Breast(composition=Composition.b,
                                          assessment=Assessment(c)))) for c in categories)
