"""BI-RADS schema, lexicon and label derivation (pure Python: no torch, no mammofm imports)."""

from . import lexicon
from .labels import BIRADS_CLASSES, COMPOSITION_CLASSES, BreastLabels, breast_labels, exam_labels, label_rows
from .lexicon import (
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
from .schema import (
    Breast,
    Comparison,
    Exam,
    Finding,
    Location,
    Span,
    clock_quadrant_conflict,
    combine_assessments,
    quadrant_from_clock,
)

__all__ = [name for name in dir() if not name.startswith("_")]
