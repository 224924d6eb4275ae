"""Laterality, view and chest-wall side from DICOM tags, most specific tag first.

Real archives put this information in different places: ImageLaterality (MG IOD), Laterality
(series level, e.g. CBIS-DDSM), ViewPosition, ViewCodeSequence (SNOMED codes, e.g. CMMD),
PatientOrientation (the standard row/column directions, or a view name in CBIS-DDSM) and
free-text descriptions. Values are spelled through ``mammofm.birads.lexicon``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes

from mammofm.birads import lexicon
from mammofm.birads.lexicon import Laterality, View

#: SNOMED CT (SCT) and legacy SNOMED-RT (SRT) view codes -> view
_VIEW_CODES: dict[str, View] = {
    codes.SCT.CranioCaudal.value: View.CC,
    codes.SCT.MedioLateralObliqueProjection.value: View.MLO,
    codes.SCT.MedioLateralProjection.value: View.ML,
    codes.SCT.LateroMedial.value: View.LM,
    codes.SCT.CranioCaudalExaggeratedLaterally.value: View.XCCL,
    codes.SCT.CranioCaudalExaggeratedMedially.value: View.XCCM,
    codes.SCT.AxillaryTail.value: View.AT,
    "R-10242": View.CC, "R-10226": View.MLO, "R-10224": View.ML, "R-10228": View.LM,
}
#: free-text tags searched last, in this order
_TEXT_TAGS: tuple[str, ...] = ("SeriesDescription", "ProtocolName", "ImageComments",
                               "AcquisitionDeviceProcessingDescription", "StudyDescription")
_QUALIFIER = re.compile(r"\s*(projection)?\s*\(qualifier value\)\s*$|\s+projection$", re.I)


def _values(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str | bytes):
        return [v.decode(errors="replace") if isinstance(v, bytes) else v]
    try:
        return [str(x) for x in v]
    except TypeError:
        return [str(v)]


def _tag(ds: Dataset, keyword: str) -> list[str]:
    try:
        return [s.strip() for s in _values(ds.get(keyword)) if str(s).strip()]
    except Exception:  # a malformed element must not hide the others
        return []


def _laterality_word(text: str) -> str | None:
    v = lexicon.normalize("laterality", text)
    return v if v in (Laterality.L.value, Laterality.R.value) else None


def _view_word(text: str) -> str | None:
    return lexicon.normalize("view", _QUALIFIER.sub("", text))


def _tokens(text: str) -> list[str]:
    return [t.strip("-") for t in re.split(r"[^A-Za-z\-]+", text) if t.strip("-")]


def _counts(tok: str) -> bool:
    """Short tokens (one or two letters, e.g. L, CC, RT) only count in upper case."""
    return len(tok) > 2 or tok.isupper()


def _from_text(texts: Iterable[str]) -> tuple[str | None, str | None]:
    """Laterality and view from free text such as ``"L CC"``, ``"RMLO"``, ``"LEFT_MLO"`` or
    ``"medio-lateral oblique"``."""
    lat: str | None = None
    view: str | None = None
    for text in texts:
        toks = _tokens(text)
        for i, tok in enumerate(toks):
            if not _counts(tok):
                continue
            if view is None:
                for n in (3, 2):  # multi-word view names first
                    if i + n <= len(toks):
                        view = _view_word(" ".join(toks[i:i + n]))
                        if view:
                            break
            if view is None and tok.lower() != "at":  # "at" is an English word
                view = _view_word(tok)
            if lat is None:
                lat = _laterality_word(tok)
            if tok.isupper() and len(tok) > 2 and tok[0] in "LR":  # glued: LCC, RMLO
                rest = _view_word(tok[1:])
                if rest is not None:
                    lat = lat or tok[0]
                    view = view or rest
        if lat and view:
            break
    return lat, view


def laterality_from_tags(ds: Dataset) -> tuple[str | None, str]:
    """(laterality 'L'/'R' or None, the tag it came from)."""
    for kw in ("ImageLaterality", "Laterality"):
        for v in _tag(ds, kw):
            lat = _laterality_word(v)
            if lat:
                return lat, kw
    frame_groups = ds.get("SharedFunctionalGroupsSequence") or []
    for item in frame_groups:
        for fa in item.get("FrameAnatomySequence") or []:
            lat = _laterality_word(str(fa.get("FrameLaterality", "")))
            if lat:
                return lat, "FrameLaterality"
    # PatientOrientation column direction: top of a mammogram is lateral (CC) or
    # supero-lateral (MLO), so the column points to the other side: 'R' -> left breast.
    po = _tag(ds, "PatientOrientation")
    if len(po) == 2:
        col = po[1].upper()
        if ("R" in col) != ("L" in col) and len(col) <= 2:
            return ("L" if "R" in col else "R"), "PatientOrientation"
    lat, _ = _from_text(v for kw in _TEXT_TAGS for v in _tag(ds, kw))
    return (lat, "text") if lat else (None, "")


def view_from_tags(ds: Dataset) -> tuple[str | None, str]:
    """(view: a lexicon view such as 'CC'/'MLO', or the raw DICOM code for others; source)."""
    for v in _tag(ds, "ViewPosition"):
        return (_view_word(v) or v.upper()), "ViewPosition"
    for item in ds.get("ViewCodeSequence") or []:
        code = str(item.get("CodeValue", "")).strip()
        if code in _VIEW_CODES:
            return _VIEW_CODES[code].value, "ViewCodeSequence"
        meaning = _view_word(str(item.get("CodeMeaning", "")))
        if meaning:
            return meaning, "ViewCodeSequence"
    for v in _tag(ds, "PatientOrientation"):  # CBIS-DDSM stores the view name here
        if set(v.upper()) - set("APRLHF"):  # not a direction code such as A, P, FL
            view = _view_word(v)
            if view:
                return view, "PatientOrientation"
    _, view = _from_text(v for kw in _TEXT_TAGS for v in _tag(ds, kw))
    return (view, "text") if view else (None, "")


def chest_wall_side_from_tags(ds: Dataset) -> str | None:
    """'left' or 'right': where the chest wall lies in the stored image, from the row direction
    of PatientOrientation ('A': columns run towards the nipple, so the chest wall is on the
    left; 'P': on the right). None when the tag is absent or not a direction."""
    po = _tag(ds, "PatientOrientation")
    if len(po) != 2:
        return None
    row = po[0].upper()
    if row == "A":
        return "left"
    if row == "P":
        return "right"
    return None
