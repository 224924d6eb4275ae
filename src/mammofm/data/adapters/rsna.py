"""RSNA Screening Mammography Breast Cancer Detection: ``train.csv`` (and ``test.csv``).

Images at ``train_images/<patient_id>/<image_id>.dcm``. One screening exam per patient, so
``study_id`` is the patient id (the test file's ``prediction_id`` is ``<patient>_<L|R>``).
``cancer`` is a per-breast outcome with no finding kind, which the Exam schema cannot carry: it
becomes the breast's ``malignant`` label through an override. The official test file has no
labels; its rows get split "unlabeled". Train rows are split by patient (train/val/test).
Dataset columns (site, machine, age, cancer, biopsy, invasive, difficult_negative_case,
prediction_id) ride along in the manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mammofm.birads import Finding, FindingKind, Indication, lexicon

from .base import (AdapterResult, ExamBuilder, as_path, assessment, blank, finish, manifest_row,
                   patient_split, read_csv, records)

TRAIN_COLUMNS = ("site_id", "patient_id", "image_id", "laterality", "view", "age", "cancer",
                 "biopsy", "invasive", "BIRADS", "implant", "density", "machine_id",
                 "difficult_negative_case")
TEST_COLUMNS = ("site_id", "patient_id", "image_id", "laterality", "view", "age", "implant",
                "machine_id", "prediction_id")
EXTRA = ("site_id", "machine_id", "age", "cancer", "biopsy", "invasive",
         "difficult_negative_case", "prediction_id")


def rsna_view(value: Any) -> str:
    """CC / MLO / ... through the lexicon; codes it lacks (LMO) stay as the DICOM code."""
    raw = str(value).strip().upper()
    return lexicon.normalize("view", raw) or raw


def _int(value: Any) -> int | None:
    if blank(value):
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


class RSNAScreening:
    name = "rsna"

    def read(self, root: Path, *, seed: int = 0, **options: Any) -> AdapterResult:
        root = as_path(root)
        exams = ExamBuilder()
        rows: list[dict[str, Any]] = []
        overrides: dict[tuple[str, str], float] = {}
        implants: set[tuple[str, str]] = set()
        train = read_csv(root / "train.csv", TRAIN_COLUMNS)
        sources = [(train, "train_images", True)]
        if (root / "test.csv").is_file():
            sources.append((read_csv(root / "test.csv", TEST_COLUMNS), "test_images", False))
        for table, folder, labelled in sources:
            carried = [c for c in EXTRA if c in table.columns]
            for r in records(table):
                pid, lat = str(r["patient_id"]).strip(), str(r["laterality"]).strip().upper()
                extra = {c: r[c] for c in carried}
                rows.append(manifest_row(
                    image_id=str(r["image_id"]).strip(), patient_id=pid, study_id=pid,
                    laterality=lat, view=rsna_view(r["view"]),
                    source_path=f"{root}/{folder}/{pid}/{str(r['image_id']).strip()}.dcm",
                    dataset=self.name,
                    split=patient_split(pid, seed) if labelled else "unlabeled", **extra))
                age = _int(r["age"])
                exams.study(pid, patient_id=pid, indication=Indication.screening,
                            patient_age=age if age is not None and 0 <= age <= 120 else None)
                exams.composition(pid, lat, None if blank(r.get("density"))
                                  else lexicon.normalize("composition", str(r["density"])))
                exams.assessment(pid, lat, assessment(r.get("BIRADS")))
                if _int(r["implant"]) == 1:
                    implants.add((pid, lat))
                if labelled and _int(r["cancer"]) is not None:
                    key = (pid, lat)
                    overrides[key] = max(overrides.get(key, 0.0), float(_int(r["cancer"])))
        for pid, lat in sorted(implants):
            exams.finding(pid, lat, Finding(kind=FindingKind.implant))
        ov = pd.DataFrame([{"study_id": s, "laterality": lat, "malignant": v}
                           for (s, lat), v in overrides.items()],
                          columns=["study_id", "laterality", "malignant"])
        return finish(self.name, rows, exams.build(), [], overrides=ov)
