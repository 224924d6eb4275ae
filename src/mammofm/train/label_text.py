"""Image-label datasets as CLIP pretraining data: per-breast labels -> report text.

The labels of a breast (composition, finding presence, BI-RADS category) become a one-breast
BI-RADS Exam, which the report writer (``mammofm.reports.write``) turns into prose in a
style drawn by seed; the text of that breast is then cut out as for real reports. So every
word comes from the writer and the lexicon, never from a template spelled here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mammofm.birads import Breast, Exam, Finding
from mammofm.birads.labels import BIRADS_CLASSES, COMPOSITION_CLASSES, PRESENCE_KINDS
from mammofm.common.seed import derive_seed

from .text import split_report_by_side


def _known(v: Any) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v)) and v != ""


def breast_from_labels(labels: Mapping[str, Any]) -> Breast:
    """A Breast with the composition, present findings and assessment the labels state."""
    comp = labels.get("composition")
    if not _known(comp) and _known(labels.get("composition_class")):
        comp = COMPOSITION_CLASSES[int(labels["composition_class"])]
    birads = labels.get("birads")
    if not _known(birads) and _known(labels.get("birads_class")):
        birads = BIRADS_CLASSES[int(labels["birads_class"])]
    findings = [Finding(kind=k) for k in PRESENCE_KINDS
                if _known(labels.get(k.value)) and float(labels[k.value]) >= 0.5]
    return Breast(composition=str(comp).lower() if _known(comp) else None, findings=findings,
                  assessment=str(birads).upper() if _known(birads) else None)


def labels_to_text(labels: Mapping[str, Any], laterality: str, seed: int = 0,
                   study_id: str = "labelled") -> str:
    """The findings + impression text of one labelled breast, in a seeded report style."""
    from mammofm.reports import STYLES, write

    exam = Exam(study_id=study_id, breasts={laterality: breast_from_labels(labels)})
    styles = sorted(STYLES)
    style = styles[derive_seed(seed, "style", study_id, laterality) % len(styles)]
    text = write(exam, style, derive_seed(seed, "write", study_id, laterality) % (2**31))
    return split_report_by_side(text)[laterality]
