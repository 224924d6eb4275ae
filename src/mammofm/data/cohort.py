"""Load a prepared cohort folder: manifest (with labels), annotations, Exams and reports.

Layout (docs/CONTRACTS.md): ``COHORT/prepared/<H>x<W>/`` holds ``manifest.parquet`` (or .csv),
``annotations.parquet`` and ``images/``, ``masks/``; ``exams.jsonl`` and ``reports.jsonl`` are
looked for in the prepared folder first, then in the cohort folder two levels up. Manifest and
exams are required (an error names the file); annotations and reports may be absent (empty).
Relative image and mask paths are made absolute against the folder of their table.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from mammofm.birads import Exam
from mammofm.common.manifest import ANNOTATION_COLUMNS, ManifestError, read_manifest

from .labels import attach_labels


class CohortError(ManifestError):
    """A cohort folder that cannot be loaded; the message names the file and the cause."""


@dataclass
class Cohort:
    manifest: pd.DataFrame
    annotations: pd.DataFrame
    exams: dict[str, Exam]
    reports: dict[str, str] = field(default_factory=dict)
    root: Path | None = None

    def split(self, name: str) -> pd.DataFrame:
        """Manifest rows of one split (train / val / test)."""
        return self.manifest[self.manifest["split"].astype(str) == name].reset_index(drop=True)


def _find(folder: Path, names: tuple[str, ...]) -> Path | None:
    for base in (folder, *folder.parents[:2]):
        for n in names:
            if (base / n).is_file():
                return base / n
    return None


def read_exams(path: str | os.PathLike[str]) -> dict[str, Exam]:
    """exams.jsonl -> {study_id: Exam}; a bad line raises CohortError naming file and line."""
    path = Path(path)
    out: dict[str, Exam] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                exam = Exam.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first.get("loc", ()))
                raise CohortError(f"{path}:{n}: not a valid Exam ({where}: {first['msg']})"
                                  ) from exc
            if not exam.study_id:
                raise CohortError(f"{path}:{n}: Exam has no study_id")
            out[str(exam.study_id)] = exam
    return out


def read_reports(path: str | os.PathLike[str]) -> dict[str, str]:
    """reports.jsonl -> {study_id: text}."""
    path = Path(path)
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                out[str(rec["study_id"])] = str(rec["text"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise CohortError(f"{path}:{n}: not a report record with study_id and text "
                                  f"({type(exc).__name__}: {exc})") from exc
    return out


def _absolute(paths: pd.Series, base: Path) -> list[object]:
    out: list[object] = []
    for p in paths:
        if isinstance(p, str) and p and not Path(p).is_absolute():
            out.append(str(base / p))
        else:
            out.append(p)
    return out


def empty_annotations() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("x0", "y0", "x1", "y1")
                                      else "object") for c in ANNOTATION_COLUMNS})


def load_cohort(prepared_dir: str | os.PathLike[str]) -> Cohort:
    """Load ``prepared_dir`` (see module doc) into a Cohort with labels merged onto images."""
    folder = Path(prepared_dir)
    if not folder.is_dir():
        raise CohortError(f"{folder}: cohort folder not found")
    mpath = next((folder / n for n in ("manifest.parquet", "manifest.csv")
                  if (folder / n).is_file()), None)
    if mpath is None:
        raise CohortError(f"{folder / 'manifest.parquet'}: manifest not found")
    manifest = read_manifest(mpath, required=("image_id", "study_id", "laterality", "view",
                                              "image_path"))
    for c in ("image_id", "study_id", "patient_id"):
        if c in manifest.columns:
            manifest[c] = manifest[c].astype(str)
    manifest["image_path"] = _absolute(manifest["image_path"], mpath.parent)

    epath = _find(folder, ("exams.jsonl",))
    if epath is None:
        raise CohortError(f"{folder / 'exams.jsonl'}: exams not found (looked here and in "
                          f"{folder.parents[1] if len(folder.parents) > 1 else folder.parent})")
    exams = read_exams(epath)
    manifest = attach_labels(manifest, exams)

    apath = next((folder / n for n in ("annotations.parquet", "annotations.csv")
                  if (folder / n).is_file()), None)
    if apath is None:
        annotations = empty_annotations()
    else:
        annotations = read_manifest(apath, required=ANNOTATION_COLUMNS)
        annotations["image_id"] = annotations["image_id"].astype(str)
        annotations["mask_path"] = _absolute(annotations["mask_path"], apath.parent)

    rpath = _find(folder, ("reports.jsonl",))
    reports = read_reports(rpath) if rpath is not None else {}
    return Cohort(manifest, annotations, exams, reports, folder)
