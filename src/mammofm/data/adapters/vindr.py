"""VinDr-Mammo: ``breast-level_annotations.csv`` + ``finding_annotations.csv``.

Images at ``images/<study_id>/<image_id>.dicom``. Breast rows give BI-RADS ("BI-RADS 4") and
density ("DENSITY C") per image; finding rows give a Python-list string of categories and a
box in original pixels (NaN for "No Finding"). A finding seen in CC and MLO is two rows, so a
breast gets, per finding kind, as many findings as the view that shows most of them.
VinDr marks only *suspicious* calcifications without a morphology, so the breast's
``suspicious_calcification`` label is set from the category (an override), not derived.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from mammofm.birads import AssociatedFeature, Finding, FindingKind, combine_assessments, lexicon

from ..boxes import box_class_index
from .base import (AdapterError, AdapterResult, ExamBuilder, Unmapped, as_path, assessment, blank,
                   finish, manifest_row, read_csv, records)

BREAST_FILE = "breast-level_annotations.csv"
FINDING_FILE = "finding_annotations.csv"
BREAST_COLUMNS = ("study_id", "series_id", "image_id", "laterality", "view_position", "height",
                  "width", "breast_birads", "breast_density", "split")
FINDING_COLUMNS = (*BREAST_COLUMNS, "finding_categories", "finding_birads", "xmin", "ymin",
                   "xmax", "ymax")
SPLITS = {"training": "train", "test": "test"}
_BIRADS = re.compile(r"^\s*BI-?RADS\s*([0-6][ABC]?)\s*$", re.IGNORECASE)
_DENSITY = re.compile(r"^\s*DENSITY\s*([A-D])\s*$", re.IGNORECASE)
_NO_FINDING = "no finding"
_QUALIFIER = "suspicious "  # VinDr's own qualifier in front of a kind


def vindr_birads(value: Any) -> str | None:
    if blank(value):
        return None
    m = _BIRADS.match(str(value))
    return assessment(m.group(1)) if m else None


def vindr_density(value: Any) -> str | None:
    if blank(value):
        return None
    m = _DENSITY.match(str(value))
    return lexicon.normalize("composition", m.group(1)) if m else None


def category(name: str) -> tuple[str, Any] | None:
    """One VinDr category -> ("kind", (kind, asymmetry_type)) or ("feature", feature) or None."""
    text = name.strip()
    kind = lexicon.normalize("kind", text)
    if kind is not None:
        return "kind", (kind, None)
    asym = lexicon.normalize("asymmetry_type", text)
    if asym is not None:
        return "kind", (FindingKind.asymmetry.value, asym)
    if text.lower().startswith(_QUALIFIER):
        kind = lexicon.normalize("kind", text[len(_QUALIFIER):])
        if kind is not None:
            return "kind", (kind, None)
    feature = lexicon.normalize("associated_feature", text)
    if feature is not None:
        return "feature", feature
    return None


def parse_categories(value: Any, path: Path, line: int) -> list[str]:
    if blank(value):
        return []
    try:
        cats = ast.literal_eval(str(value))
    except (ValueError, SyntaxError) as exc:
        raise AdapterError(f"{path}: row {line}: finding_categories {value!r} is not a list "
                           "string") from exc
    return [str(c) for c in (cats if isinstance(cats, (list, tuple)) else [cats])]


class VinDrMammo:
    name = "vindr"

    def read(self, root: Path, **options: Any) -> AdapterResult:
        root = as_path(root)
        bpath = root / BREAST_FILE
        breast = read_csv(bpath, BREAST_COLUMNS)
        exams = ExamBuilder()
        rows = []
        for r in records(breast):
            sid, lat, view = str(r["study_id"]), str(r["laterality"]).strip().upper(), \
                str(r["view_position"]).strip().upper()
            rows.append(manifest_row(
                image_id=r["image_id"], patient_id=sid, study_id=sid, laterality=lat, view=view,
                source_path=f"{root}/images/{sid}/{r['image_id']}.dicom", dataset=self.name,
                split=SPLITS.get(str(r["split"]).strip().lower(), str(r["split"])),
                orig_height=r["height"], orig_width=r["width"], series_id=r["series_id"]))
            exams.study(sid, patient_id=sid)
            exams.composition(sid, lat, vindr_density(r["breast_density"]))
            exams.assessment(sid, lat, vindr_birads(r["breast_birads"]))

        fpath = root / FINDING_FILE
        unmapped = Unmapped()
        annotations: list[dict[str, Any]] = []
        suspicious_calc: set[tuple[str, str]] = set()
        # (study, lat) -> (kind, asym) -> view -> [finding birads, ...]
        seen: dict[tuple[str, str], dict[tuple[str, Any], dict[str, list[Any]]]] = \
            defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        # features named in the same row as a kind belong to that kind's finding
        features: dict[tuple[str, str, tuple[str, Any]], set[str]] = defaultdict(set)
        per_image: dict[str, int] = defaultdict(int)
        errors: list[str] = []
        if fpath.is_file():
            finding = read_csv(fpath, FINDING_COLUMNS)
            for line, r in enumerate(records(finding), 2):
                sid, lat = str(r["study_id"]), str(r["laterality"]).strip().upper()
                view = str(r["view_position"]).strip().upper()
                kinds, feats = [], []
                try:
                    categories = parse_categories(r["finding_categories"], fpath, line)
                except AdapterError as exc:  # record the row and carry on
                    errors.append(str(exc))
                    continue
                for cat in categories:
                    if cat.strip().lower() == _NO_FINDING:
                        continue
                    got = category(cat)
                    if got is None:
                        unmapped.add("finding_categories", cat)
                    elif got[0] == "kind":
                        kinds.append(got[1])
                        if got[1][0] == FindingKind.calcification.value:
                            suspicious_calc.add((sid, lat))
                    else:
                        feats.append(got[1])
                if feats and not kinds:
                    unmapped.add("finding_categories (feature without a finding)", feats[0])
                for k in kinds:
                    features[(sid, lat, k)].update(feats)
                    seen[(sid, lat)][k][view].append(vindr_birads(r["finding_birads"]))
                box = [r["xmin"], r["ymin"], r["xmax"], r["ymax"]]
                if any(blank(v) for v in box):
                    continue
                for kind, _asym in kinds:
                    if box_class_index(kind) is None:
                        continue
                    iid = str(r["image_id"])
                    annotations.append({
                        "image_id": iid, "study_id": sid, "laterality": lat, "view": view,
                        "finding_index": per_image[iid], "kind": kind,
                        "x0": float(box[0]), "y0": float(box[1]), "x1": float(box[2]),
                        "y1": float(box[3]), "mask_path": "", "pathology": None})
                    per_image[iid] += 1
        notes = unmapped.notes()
        if not fpath.is_file():
            notes.append(f"{fpath}: not found; no findings or boxes read")
        for (sid, lat), kinds in seen.items():
            for (kind, asym), by_view in kinds.items():
                feats = [AssociatedFeature(f) for f in sorted(features[(sid, lat, (kind, asym))])]
                n = max(len(v) for v in by_view.values())
                views = [v for v in sorted(by_view) if v in {m.value for m in lexicon.View}]
                birads = [b for v in by_view.values() for b in v if b is not None]
                for _ in range(n):
                    exams.finding(sid, lat, Finding(
                        kind=kind, asymmetry_type=asym, views=views,
                        associated_features=[f for f in feats if f.value != kind],
                        assessment=combine_assessments(birads)))
        overrides = pd.DataFrame(
            [{"study_id": s, "laterality": lat, "suspicious_calcification": 1.0}
             for s, lat in sorted(suspicious_calc)],
            columns=["study_id", "laterality", "suspicious_calcification"])
        return finish(self.name, rows, exams.build(), annotations, overrides=overrides,
                      notes=notes, errors=errors)
