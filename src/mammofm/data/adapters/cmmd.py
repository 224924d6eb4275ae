"""CMMD (Chinese Mammography Database): ``CMMD_clinicaldata_revision.xlsx`` + DICOM headers.

The clinical table has one row per breast (``ID1, LeftRight, Age, number, abnormality,
classification, subtype``); laterality and view exist only in the DICOM headers
(``ImageLaterality``, ``ViewCodeSequence``), so every DICOM under the root is indexed by
header. ``abnormality`` is mass / calcification / both; ``classification`` Benign / Malignant
is the pathology of those findings. Patients are split train/val/test by id (no official split).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mammofm.birads import Finding, lexicon

from .base import (AdapterError, AdapterResult, ExamBuilder, as_path, blank, check_columns,
                   find_file, finish, manifest_row, patient_split, records, require_file)
from .dicom_index import dicom_files, index_headers

CLINICAL_FILE = "CMMD_clinicaldata_revision.xlsx"
COLUMNS = ("ID1", "LeftRight", "Age", "number", "abnormality", "classification", "subtype")
BOTH = "both"  # CMMD's code for a breast with a mass and calcifications


def read_clinical(path: Path) -> pd.DataFrame:
    require_file(path)
    try:
        table = pd.read_excel(path, dtype=str)
    except Exception as exc:  # openpyxl raises many types for a bad workbook
        raise AdapterError(f"{path}: cannot read workbook ({type(exc).__name__}: {exc})") from exc
    table.columns = [str(c).strip() for c in table.columns]
    check_columns(table, COLUMNS, path)
    return table


def _kinds(value: Any) -> list[str]:
    if blank(value):
        return []
    text = str(value).strip().lower()
    words = ["mass", "calcification"] if text == BOTH else [text]
    return [k for k in (lexicon.normalize("kind", w) for w in words) if k is not None]


class CMMD:
    name = "cmmd"

    def read(self, root: Path, *, seed: int = 0, progress: bool = False,
             **options: Any) -> AdapterResult:
        root = as_path(root)
        path = find_file(root, [CLINICAL_FILE])
        clinical = read_clinical(path)
        headers, bad = index_headers(dicom_files(root), progress=progress)
        if not headers:
            raise AdapterError(f"{root}: no readable DICOM files (CMMD keeps laterality and view "
                               "only in the headers)")
        ids = set(clinical["ID1"].astype(str).str.strip())
        exams = ExamBuilder()
        rows, notes = [], []
        studies: dict[str, set[str]] = {}
        for h in headers:
            pid = h.patient_id if h.patient_id in ids else next(
                (p for p in h.path.parts if p in ids), h.patient_id)
            lat = lexicon.normalize("laterality", h.laterality or "")
            view = lexicon.normalize("view", h.view or "") or (h.view or None)
            status, error = "ok", ""
            if lat is None:
                status, error = "failed", f"{h.path}: no ImageLaterality"
            rows.append(manifest_row(image_id=h.sop_uid, patient_id=pid, study_id=h.study_uid,
                                     laterality=lat, view=view, source_path=h.path,
                                     dataset=self.name, split=patient_split(pid, seed),
                                     orig_height=h.rows, orig_width=h.columns,
                                     status=status, error=error))
            studies.setdefault(pid, set()).add(h.study_uid)
            exams.study(h.study_uid, patient_id=pid)
        for r in records(clinical):
            pid = str(r["ID1"]).strip()
            lat = lexicon.normalize("laterality", str(r["LeftRight"]))
            if lat is None:
                notes.append(f"{path}: ID1 {pid}: LeftRight {r['LeftRight']!r} not L/R")
                continue
            pathology = None if blank(r["classification"]) else \
                lexicon.normalize("pathology", str(r["classification"]))
            age = None if blank(r["Age"]) else int(float(r["Age"]))
            for sid in sorted(studies.get(pid, ())):
                exams.study(sid, patient_id=pid, patient_age=age)
                exams.assessment(sid, lat, None)
                for kind in _kinds(r["abnormality"]):
                    exams.finding(sid, lat, Finding(kind=kind, pathology=pathology))
            if pid not in studies:
                notes.append(f"{path}: ID1 {pid}: no DICOM files found")
        subtype = {(str(r["ID1"]).strip(), lexicon.normalize("laterality", str(r["LeftRight"]))):
                   r["subtype"] for r in records(clinical)}
        for row in rows:
            row["subtype"] = subtype.get((row["patient_id"], row["laterality"]))
        if bad:
            notes.append(f"{len(bad)} unreadable DICOM file(s), e.g. {bad[0]}")
        return finish(self.name, rows, exams.build(), [], notes=notes)
