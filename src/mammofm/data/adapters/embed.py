"""EMBED (Emory Breast Imaging Dataset): clinical table (one row per finding) + metadata table
(one row per DICOM file), joined on ``acc_anon`` and side == ``ImageLateralityFinal`` (side B or
empty: both breasts).

EMBED's licence forbids releasing models trained on it: ``read`` warns, the result carries
``licence_note``, and ``LICENCE_NOTES["embed"]`` lets a trainer warn again when it saves a model
trained on rows whose ``dataset`` is "embed".

Codes are EMBED's own (its data dictionary): ``asses`` letters, ``tissueden`` 1-4 (5 = male),
``massshape`` / ``massmargin`` / ``massdens`` / ``calcdistri`` letters, ``path_severity`` 0-6.
They map onto schema enum members here; codes not listed are counted in ``notes``.
``ROI_coords`` boxes are [ymin, xmin, ymax, xmax]; EMBED does not tie a box to a finding, so a
box takes the kind of the breast's boxed findings when they agree, else "mass" if the breast has
one (the commonest annotated kind), else it is left out (counted in ``notes``).
"""

from __future__ import annotations

import ast
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from mammofm.birads import (AsymmetryType, CalcDistribution, Certainty, Finding, FindingKind,
                            MassDensity, MassMargin, MassShape, Pathology, lexicon)

from ..boxes import box_class_index
from .base import (LICENCE_NOTES, AdapterError, AdapterResult, ExamBuilder, Unmapped, as_path,
                   blank, composition_from_acr, finish, manifest_row, patient_split, read_csv,
                   records)

CLINICAL_COLUMNS = ("empi_anon", "acc_anon", "study_date_anon", "desc", "tissueden", "asses",
                    "side", "numfind", "massshape", "massmargin", "massdens", "calcfind",
                    "calcdistri", "calcnumber", "path_severity", "age_at_study", "RACE_DESC",
                    "ETHNIC_GROUP_DESC")
METADATA_COLUMNS = ("empi_anon", "acc_anon", "anon_dicom_path", "StudyDescription",
                    "SeriesDescription", "FinalImageType", "ImageLateralityFinal",
                    "ViewPosition", "spot_mag", "num_roi", "ROI_coords")
CARRIED = ("age_at_study", "RACE_DESC", "ETHNIC_GROUP_DESC")

ASSES = {"A": "0", "N": "1", "B": "2", "P": "3", "S": "4", "M": "5", "K": "6"}
MALE_DENSITY = "5"
#: massshape codes: a mass shape, or another finding kind EMBED records in the same column
MASS_SHAPE: dict[str, Any] = {"R": MassShape.round, "O": MassShape.oval, "X": MassShape.irregular,
                              "G": None}
OTHER_KIND: dict[str, tuple[FindingKind, dict[str, Any]]] = {
    "A": (FindingKind.architectural_distortion, {}),
    "Q": (FindingKind.architectural_distortion, {"certainty": Certainty.uncertain}),
    "B": (FindingKind.asymmetry, {"asymmetry_type": AsymmetryType.global_}),
    "F": (FindingKind.asymmetry, {"asymmetry_type": AsymmetryType.focal}),
    "V": (FindingKind.asymmetry, {"asymmetry_type": AsymmetryType.developing}),
    "N": (FindingKind.lymph_node, {}),
    "Y": (FindingKind.lymph_node, {}),
    "Z": (FindingKind.skin_lesion, {}),
    "T": (FindingKind.dilated_duct, {}),
}
MARGIN = {"D": MassMargin.circumscribed, "U": MassMargin.obscured, "M": MassMargin.microlobulated,
          "I": MassMargin.indistinct, "S": MassMargin.spiculated}
DENSITY = {"+": MassDensity.high, "=": MassDensity.equal, "-": MassDensity.low,
           "0": MassDensity.fat_containing}
DISTRIBUTION = {"G": CalcDistribution.grouped, "S": CalcDistribution.segmental,
                "L": CalcDistribution.linear, "D": CalcDistribution.diffuse,
                "R": CalcDistribution.regional}
#: path_severity: 0 invasive, 1 non-invasive cancer, 2 high-risk, 3 borderline, 4 benign,
#: 5 negative, 6 non-breast cancer (not a breast pathology: left unknown)
PATHOLOGY = {"0": Pathology.malignant, "1": Pathology.malignant, "2": Pathology.high_risk,
             "3": Pathology.high_risk, "4": Pathology.benign, "5": Pathology.benign}


def _code(value: Any) -> str:
    if blank(value):
        return ""
    s = str(value).strip()
    return s[:-2] if s.endswith(".0") else s


def parse_roi_coords(value: Any, path: Path, line: int) -> list[tuple[float, ...]]:
    """'((ymin, xmin, ymax, xmax), ...)' / '[[...]]' / '' -> list of (x0, y0, x1, y1)."""
    if blank(value) or str(value).strip() in ("()", "[]"):
        return []
    try:
        data = ast.literal_eval(str(value).strip())
    except (ValueError, SyntaxError) as exc:
        raise AdapterError(f"{path}: row {line}: ROI_coords {value!r} is not a list of "
                           "[ymin, xmin, ymax, xmax]") from exc
    if isinstance(data, (list, tuple)) and data and not isinstance(data[0], (list, tuple)):
        data = [data]
    out = []
    for roi in data:
        if len(roi) != 4:
            raise AdapterError(f"{path}: row {line}: ROI {roi!r} does not have 4 numbers")
        ymin, xmin, ymax, xmax = (float(v) for v in roi)
        out.append((xmin, ymin, xmax, ymax))
    return out


def finding_of(r: pd.Series, unmapped: Unmapped) -> list[Finding]:
    """The findings one clinical row describes (a mass-column entry and/or calcifications)."""
    pathology = PATHOLOGY.get(_code(r["path_severity"]))
    out = []
    shape = _code(r["massshape"])
    if shape:
        if shape in MASS_SHAPE:
            kw: dict[str, Any] = {"shape": MASS_SHAPE[shape]}
            margin, dens = _code(r["massmargin"]), _code(r["massdens"])
            if margin:
                kw["margin"] = MARGIN.get(margin)
                if margin not in MARGIN:
                    unmapped.add("massmargin", margin)
            if dens:
                kw["density"] = DENSITY.get(dens)
                if dens not in DENSITY:
                    unmapped.add("massdens", dens)
            out.append(Finding(kind=FindingKind.mass, pathology=pathology, **kw))
        elif shape in OTHER_KIND:
            kind, kw = OTHER_KIND[shape]
            out.append(Finding(kind=kind, pathology=pathology, **kw))
        else:
            unmapped.add("massshape", shape)
    calc, dist = _code(r["calcfind"]), _code(r["calcdistri"])
    if calc or dist:
        if dist and dist not in DISTRIBUTION:
            unmapped.add("calcdistri", dist)
        if calc:
            unmapped.add("calcfind (morphology not mapped)", calc)
        out.append(Finding(kind=FindingKind.calcification, pathology=pathology,
                           distribution=DISTRIBUTION.get(dist)))
    return out


def _sides(value: Any) -> tuple[str, ...]:
    s = _code(value).upper()
    return (s,) if s in ("L", "R") else ("L", "R")


class EMBED:
    name = "embed"

    def read(self, root: Path, *, clinical: str | None = None, metadata: str | None = None,
             image_types: tuple[str, ...] = ("2D",), seed: int = 0,
             **options: Any) -> AdapterResult:
        """``clinical`` / ``metadata``: file names under root (default: the one CSV whose name
        holds "clinical" / "metadata"); ``image_types``: FinalImageType values kept."""
        root = as_path(root)
        note = LICENCE_NOTES[self.name]
        warnings.warn(note, UserWarning, stacklevel=2)
        cpath = root / clinical if clinical else _one(root, "clinical")
        mpath = root / metadata if metadata else _one(root, "metadata")
        ctab = read_csv(cpath, CLINICAL_COLUMNS)
        mtab = read_csv(mpath, METADATA_COLUMNS)
        unmapped = Unmapped()
        exams = ExamBuilder()
        carried: dict[str, dict[str, Any]] = {}
        malignant: dict[tuple[str, str], float] = {}
        box_kinds: dict[tuple[str, str], list[str]] = defaultdict(list)
        for r in records(ctab):
            acc, pid = _code(r["acc_anon"]), _code(r["empi_anon"])
            age = _code(r["age_at_study"])
            exams.study(acc, patient_id=pid,
                        patient_age=int(float(age)) if age and 0 <= float(age) <= 120 else None)
            carried.setdefault(acc, {c: r[c] for c in CARRIED})
            dens = _code(r["tissueden"])
            comp = None if dens in ("", MALE_DENSITY) else composition_from_acr(dens)
            asses = _code(r["asses"]).upper()
            if asses and asses not in ASSES:
                unmapped.add("asses", asses)
            findings = finding_of(r, unmapped)
            sev = _code(r["path_severity"])
            for lat in _sides(r["side"]):
                exams.composition(acc, lat, comp)
                exams.assessment(acc, lat, ASSES.get(asses))
                if _code(r["side"]).upper() in ("L", "R"):  # a finding needs its breast
                    for f in findings:
                        exams.finding(acc, lat, f.model_copy())
                        if box_class_index(f.kind.value) is not None:
                            box_kinds[(acc, lat)].append(f.kind.value)
                if sev in PATHOLOGY:
                    m = 1.0 if PATHOLOGY[sev] == Pathology.malignant else 0.0
                    malignant[(acc, lat)] = max(malignant.get((acc, lat), 0.0), m)
        rows, annotations, notes, errors = [], [], [], []
        dropped_boxes = 0
        for line, r in enumerate(records(mtab), 2):
            if image_types and _code(r["FinalImageType"]) not in image_types:
                continue
            acc, pid = _code(r["acc_anon"]), _code(r["empi_anon"])
            lat = lexicon.normalize("laterality", _code(r["ImageLateralityFinal"]))
            raw_view = _code(r["ViewPosition"]).upper()
            view = lexicon.normalize("view", raw_view) or raw_view or None
            src = Path(_code(r["anon_dicom_path"]))
            src = src if src.is_absolute() else root / src
            image_id = src.stem
            rows.append(manifest_row(
                image_id=image_id, patient_id=pid, study_id=acc, laterality=lat, view=view,
                source_path=src, dataset=self.name, split=patient_split(pid, seed),
                spot_mag=r["spot_mag"], FinalImageType=r["FinalImageType"],
                **carried.get(acc, {c: None for c in CARRIED})))
            exams.study(acc, patient_id=pid)
            kinds = box_kinds.get((acc, lat or ""), [])
            kind = kinds[0] if len(set(kinds)) == 1 else (
                FindingKind.mass.value if FindingKind.mass.value in kinds else None)
            try:
                rois = parse_roi_coords(r["ROI_coords"], mpath, line)
            except AdapterError as exc:  # record the row's boxes as unreadable, keep the image
                errors.append(str(exc))
                rois = []
            for n, (x0, y0, x1, y1) in enumerate(rois):
                if kind is None:
                    dropped_boxes += 1
                    continue
                annotations.append({"image_id": image_id, "study_id": acc, "laterality": lat,
                                    "view": view, "finding_index": n, "kind": kind, "x0": x0,
                                    "y0": y0, "x1": x1, "y1": y1, "mask_path": "",
                                    "pathology": None})
        notes.extend(unmapped.notes())
        if dropped_boxes:
            notes.append(f"{dropped_boxes} ROI box(es) left out: no boxed finding on that breast")
        ov = pd.DataFrame([{"study_id": s, "laterality": lat, "malignant": v}
                           for (s, lat), v in malignant.items()],
                          columns=["study_id", "laterality", "malignant"])
        return finish(self.name, rows, exams.build(), annotations, overrides=ov,
                      licence_note=note, notes=notes, errors=errors)


def _one(root: Path, word: str) -> Path:
    hits = sorted(p for p in root.glob("*.csv") if word in p.name.lower())
    if len(hits) != 1:
        what = "none" if not hits else ", ".join(p.name for p in hits)
        raise AdapterError(f"{root}: expected one EMBED {word} CSV (*{word}*.csv), found {what}")
    return hits[0]
