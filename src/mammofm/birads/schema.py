"""The BI-RADS exam record: the one typed structure every part of mammofm speaks.

Exam -> Breast (L/R) -> composition, findings, assessment; plus the overall assessment,
recommendations and comparison with prior. Records validate on construction and reject
impossible combinations with a message that names the offending field (a margin on a
calcification, a clock face outside 1-12, an upper-outer clock position called inner...).
JSON round trip: ``Exam.model_validate_json(exam.model_dump_json()) == exam``.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .lexicon import (
    ASSESSMENT_HIERARCHY,
    KIND_DESCRIPTORS,
    Assessment,
    AssociatedFeature,
    AsymmetryType,
    CalcDistribution,
    CalcMorphology,
    Certainty,
    Composition,
    Depth,
    FindingKind,
    ImplantMaterial,
    ImplantPosition,
    Indication,
    Laterality,
    MassDensity,
    MassMargin,
    MassShape,
    Modality,
    Pathology,
    Quadrant,
    Recommendation,
    Stability,
    View,
)

#: (start, end) character offsets into the source text, end exclusive.
Span = tuple[int, int]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class Location(_Record):
    """Where a finding lies. Clock face in hours (11.5 = 11:30), 12 for noon, None if unstated."""

    quadrant: Quadrant | None = None
    clock: Annotated[float, Field(gt=0, le=12)] | None = None
    depth: Depth | None = None
    distance_from_nipple_cm: Annotated[float, Field(ge=0, le=30)] | None = None

    @field_validator("clock", mode="before")
    @classmethod
    def _clock_noon(cls, v: Any) -> Any:
        if v is not None and float(v) == 0:
            return 12.0
        return v

    def is_empty(self) -> bool:
        return all(getattr(self, k) is None for k in type(self).model_fields)


# Quadrants covered by clock positions strictly inside each 3-hour arc, per breast.
# Facing the patient: right breast 9-12 = upper outer; left breast 12-3 = upper outer.
_ARC_QUADRANT: dict[Laterality, tuple[Quadrant, Quadrant, Quadrant, Quadrant]] = {
    # arcs (12-3, 3-6, 6-9, 9-12)
    Laterality.R: (Quadrant.UIQ, Quadrant.LIQ, Quadrant.LOQ, Quadrant.UOQ),
    Laterality.L: (Quadrant.UOQ, Quadrant.LOQ, Quadrant.LIQ, Quadrant.UIQ),
}
_AXIS_QUADRANT: dict[Laterality, dict[float, Quadrant]] = {
    Laterality.R: {12.0: Quadrant.upper_central, 3.0: Quadrant.inner_central,
                   6.0: Quadrant.lower_central, 9.0: Quadrant.outer_central},
    Laterality.L: {12.0: Quadrant.upper_central, 3.0: Quadrant.outer_central,
                   6.0: Quadrant.lower_central, 9.0: Quadrant.inner_central},
}
_FOUR = {Quadrant.UOQ, Quadrant.UIQ, Quadrant.LOQ, Quadrant.LIQ}


def quadrant_from_clock(laterality: Laterality | str, clock: float) -> Quadrant:
    """The quadrant (or between-quadrant axis) of a clock position in one breast."""
    lat = Laterality(laterality)
    c = 12.0 if float(clock) % 12 == 0 else float(clock) % 12
    if c in _AXIS_QUADRANT[lat]:
        return _AXIS_QUADRANT[lat][c]
    arc = int((c % 12) // 3)  # 0: 12-3, 1: 3-6, 2: 6-9, 3: 9-12
    return _ARC_QUADRANT[lat][arc]


def clock_quadrant_conflict(laterality: Laterality | str, loc: Location) -> str | None:
    """A message when a clock face and a quadrant cannot both be true, else None."""
    if loc.clock is None or loc.quadrant is None or loc.quadrant not in _FOUR:
        return None
    c = loc.clock % 12
    if c in (0.0, 3.0, 6.0, 9.0):  # on an axis: either neighbouring quadrant is fine
        neighbours = {quadrant_from_clock(laterality, (c - 0.5) % 12 or 12),
                      quadrant_from_clock(laterality, c + 0.5)}
        if loc.quadrant in neighbours:
            return None
    expected = quadrant_from_clock(laterality, loc.clock)
    if expected == loc.quadrant:
        return None
    return (f"clock face {loc.clock:g} o'clock lies in the {expected.value} of the "
            f"{'right' if Laterality(laterality) == Laterality.R else 'left'} breast, "
            f"not the {loc.quadrant.value}")


class Finding(_Record):
    """One imaging finding in one breast, with its BI-RADS descriptors."""

    kind: FindingKind
    # mass
    shape: MassShape | None = None
    margin: MassMargin | None = None
    density: MassDensity | None = None
    # calcifications
    morphology: CalcMorphology | None = None
    distribution: CalcDistribution | None = None
    # asymmetry
    asymmetry_type: AsymmetryType | None = None
    # implant
    implant_material: ImplantMaterial | None = None
    implant_position: ImplantPosition | None = None
    implant_rupture: bool | None = None
    associated_features: list[AssociatedFeature] = Field(default_factory=list)
    location: Location = Field(default_factory=Location)
    size_mm: Annotated[float, Field(gt=0, le=300)] | None = None
    views: list[View] = Field(default_factory=list)
    certainty: Certainty = Certainty.present
    stability: Stability | None = None
    previously_biopsied: bool = False
    pathology: Pathology | None = None
    modality: Modality = Modality.mammography
    assessment: Assessment | None = None
    #: field name -> character span of the text it was read from (filled by the parser)
    evidence: dict[str, Span] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _descriptors_fit_kind(self) -> Finding:
        allowed = KIND_DESCRIPTORS[self.kind]
        for name in ("shape", "margin", "density", "morphology", "distribution",
                     "asymmetry_type", "implant_material", "implant_position",
                     "implant_rupture"):
            if getattr(self, name) is not None and name not in allowed:
                raise ValueError(
                    f"a {self.kind.value} finding cannot have a {name} "
                    f"({getattr(self, name)!s}); {name} describes "
                    + " or ".join(k.value for k, v in KIND_DESCRIPTORS.items() if name in v)
                )
        if self.kind == FindingKind.calcification and \
                AssociatedFeature.calcifications in self.associated_features:
            raise ValueError("a calcification finding cannot list calcifications as an "
                             "associated feature")
        if self.kind == FindingKind.architectural_distortion and \
                AssociatedFeature.architectural_distortion in self.associated_features:
            raise ValueError("an architectural distortion cannot list itself as an "
                             "associated feature")
        if len(set(self.views)) != len(self.views):
            raise ValueError(f"views repeat: {[v.value for v in self.views]}")
        return self

    @property
    def is_positive(self) -> bool:
        """Present (or uncertain) rather than negated."""
        return self.certainty != Certainty.negated

    def descriptors(self) -> dict[str, str]:
        """The kind-specific descriptors that are set, as canonical strings."""
        out: dict[str, str] = {}
        for name in sorted(KIND_DESCRIPTORS[self.kind]):
            v = getattr(self, name)
            if v is not None:
                out[name] = str(v.value if hasattr(v, "value") else v)
        return out


class Breast(_Record):
    """Everything said of one breast."""

    composition: Composition | None = None
    findings: list[Finding] = Field(default_factory=list)
    assessment: Assessment | None = None
    evidence: dict[str, Span] = Field(default_factory=dict)

    def positive_findings(self, kind: FindingKind | None = None) -> list[Finding]:
        return [f for f in self.findings if f.is_positive and (kind is None or f.kind == kind)]


class Comparison(_Record):
    """Comparison with prior examinations."""

    compared: bool = False
    prior_date: _dt.date | None = None
    #: stable = no significant interval change; changed = something new or different
    change: Stability | None = None
    evidence: dict[str, Span] = Field(default_factory=dict)


class Exam(_Record):
    """One mammography exam (both breasts)."""

    study_id: str | None = None
    patient_id: str | None = None
    exam_date: _dt.date | None = None
    indication: Indication | None = None
    patient_age: Annotated[int, Field(ge=0, le=120)] | None = None
    breasts: dict[Laterality, Breast] = Field(default_factory=dict)
    overall_assessment: Assessment | None = None
    recommendations: list[Recommendation] = Field(default_factory=list)
    comparison: Comparison | None = None
    evidence: dict[str, Span] = Field(default_factory=dict)
    #: why a parsed record is empty (empty text, not English, ...); None for a normal record
    empty_reason: str | None = None

    @model_validator(mode="after")
    def _locations_consistent(self) -> Exam:
        for lat, breast in self.breasts.items():
            for i, f in enumerate(breast.findings):
                msg = clock_quadrant_conflict(lat, f.location)
                if msg:
                    raise ValueError(f"breasts.{lat.value}.findings[{i}] ({f.kind.value}): {msg}")
        return self

    def breast(self, laterality: Laterality | str) -> Breast:
        """The record of one breast (an empty one if the exam says nothing of it)."""
        return self.breasts.get(Laterality(laterality), Breast())

    def derived_overall_assessment(self) -> Assessment | None:
        """The stated overall assessment, else the most worrisome per-breast one (ACR order)."""
        if self.overall_assessment is not None:
            return self.overall_assessment
        return combine_assessments(b.assessment for b in self.breasts.values())

    def without_evidence(self) -> Exam:
        """A copy with every evidence span removed, for comparing records by content."""
        data = self.model_dump()

        def strip(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: strip(v) for k, v in node.items() if k != "evidence"}
            if isinstance(node, list):
                return [strip(v) for v in node]
            return node

        return Exam.model_validate(strip(data))

    def to_json(self, **kwargs: Any) -> str:
        return self.model_dump_json(**kwargs)

    @classmethod
    def from_json(cls, text: str | bytes) -> Exam:
        return cls.model_validate_json(text)


def combine_assessments(values: Any) -> Assessment | None:
    """The most worrisome of several assessments in the ACR hierarchy (1<2<3<6<0<4<...<5)."""
    present = [Assessment(v) for v in values if v is not None]
    if not present:
        return None
    return max(present, key=ASSESSMENT_HIERARCHY.index)
