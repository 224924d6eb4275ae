"""What every dataset adapter returns, and the helpers adapters share.

An adapter reads one public dataset's metadata files exactly as downloaded and reduces them to
the manifest (one row per image, ``image_path`` empty, ``source_path`` the DICOM), Exam records
(one per study) and an annotation table (original pixel frame). Vocabulary goes through
``birads.lexicon.normalize``; dataset-specific codes stay in the adapter that reads them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from mammofm.birads import Breast, Exam, Finding, Laterality, lexicon
from mammofm.common.manifest import ANNOTATION_COLUMNS, to_frame
from mammofm.common.seed import derive_seed

from ..labels import attach_labels


class AdapterError(ValueError):
    """A dataset file that cannot be read as its format says; the message names the file."""


@dataclass
class AdapterResult:
    manifest: pd.DataFrame
    exams: dict[str, Exam]
    annotations: pd.DataFrame
    dataset: str = ""
    #: licence restrictions a user must know before training or releasing a model
    licence_note: str | None = None
    #: what was read but could not be mapped (e.g. "shape 'ROUND_AND_REGULAR': 3 rows")
    notes: list[str] = field(default_factory=list)
    #: rows or files that could not be read ("FILE: row N: cause"); the rest was read
    errors: list[str] = field(default_factory=list)


class Adapter(Protocol):
    name: str

    def read(self, root: Path, **options: Any) -> AdapterResult: ...


# --- files -----------------------------------------------------------------------------------

def require_file(path: Path) -> Path:
    if not path.is_file():
        raise AdapterError(f"{path}: file not found")
    return path


def find_file(root: Path, names: Iterable[str]) -> Path:
    """The first of ``names`` found directly under root or anywhere below it."""
    names = list(names)
    for n in names:
        if (root / n).is_file():
            return root / n
    for n in names:
        hits = sorted(root.rglob(n))
        if hits:
            return hits[0]
    raise AdapterError(f"{root / names[0]}: file not found")


def check_columns(df: pd.DataFrame, required: Iterable[str], path: Path) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise AdapterError(f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}")


def read_csv(path: Path, required: Iterable[str], **kwargs: Any) -> pd.DataFrame:
    """Read a CSV as strings (ids keep leading zeros; empty cells -> NaN) and check columns."""
    require_file(path)
    try:
        kwargs.setdefault("encoding", "utf-8-sig")  # files saved by Excel start with a BOM
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], **kwargs)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise AdapterError(f"{path}: cannot parse ({type(exc).__name__}: {exc})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    check_columns(df, required, path)
    return df


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (iterating a DataFrame row by row costs ~100x more)."""
    return df.to_dict("records")


def blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or \
        (isinstance(v, str) and v.strip() == "")


# --- vocabulary ------------------------------------------------------------------------------

def composition_from_acr(value: Any) -> str | None:
    """ACR density 1-4 (numeric, as CBIS-DDSM, EMBED and INbreast code it) -> a-d."""
    if blank(value):
        return None
    try:
        n = int(float(str(value).strip()))
    except ValueError:
        return None
    return lexicon.normalize("composition", f"ACR {n}")


_ASSESSMENTS = frozenset(a.value for a in lexicon.Assessment)


def assessment(value: Any) -> str | None:
    """A BI-RADS category written as a bare code (5, "4a", "4B") -> the schema value."""
    if blank(value):
        return None
    s = str(value).strip().upper()
    if s.endswith(".0"):
        s = s[:-2]
    return s if s in _ASSESSMENTS else None


class Unmapped:
    """Counts dataset values that did not map onto the lexicon, for AdapterResult.notes."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, field_name: str, value: Any) -> None:
        self.counts[(field_name, str(value))] += 1

    def notes(self) -> list[str]:
        return [f"unmapped {f} {v!r}: {n} row(s)" for (f, v), n in sorted(self.counts.items())]


def pick_descriptor(field_name: str, parts: Iterable[str], unmapped: Unmapped | None = None
                    ) -> str | None:
    """The most suspicious of several dataset words for one descriptor field.

    Compound dataset values (CBIS-DDSM joins them with '-') can name several descriptors; the
    schema holds one, so the one latest in the lexicon's enum order (which runs from benign to
    suspicious) is kept.
    """
    enum_values = [m.value for m in lexicon.enum_of(field_name)]  # type: ignore[attr-defined]
    found = []
    for p in parts:
        v = lexicon.normalize(field_name, p.replace("_", " "))
        if v is None:
            if unmapped is not None:
                unmapped.add(field_name, p)
        else:
            found.append(v)
    return max(found, key=enum_values.index) if found else None


# --- assembly --------------------------------------------------------------------------------

def patient_split(patient_id: str, seed: int = 0,
                  fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> str:
    """A deterministic train/val/test split by patient for datasets without an official one."""
    u = derive_seed(seed, "split", str(patient_id)) / float(1 << 63)
    if u < fractions[0]:
        return "train"
    return "val" if u < fractions[0] + fractions[1] else "test"


def manifest_row(*, image_id: str, patient_id: str, study_id: str, laterality: str | None,
                 view: str | None, source_path: Path | str | None, dataset: str, split: str,
                 orig_height: Any = None, orig_width: Any = None, **extra: Any) -> dict[str, Any]:
    row = {"image_id": str(image_id), "patient_id": str(patient_id), "study_id": str(study_id),
           "laterality": laterality, "view": view,
           "source_path": "" if source_path is None else str(source_path), "image_path": "",
           "orig_height": None if blank(orig_height) else int(float(orig_height)),
           "orig_width": None if blank(orig_width) else int(float(orig_width)),
           "dataset": dataset, "split": split, "status": "ok", "error": ""}
    row.update(extra)
    return row


class ExamBuilder:
    """Collects per-breast facts of many studies and builds valid Exam records."""

    def __init__(self) -> None:
        self._meta: dict[str, dict[str, Any]] = {}
        self._breasts: dict[str, dict[str, dict[str, Any]]] = {}

    def study(self, study_id: str, **meta: Any) -> None:
        m = self._meta.setdefault(str(study_id), {})
        m.update({k: v for k, v in meta.items() if v is not None})
        self._breasts.setdefault(str(study_id), {})

    def _breast(self, study_id: str, laterality: str) -> dict[str, Any]:
        self.study(study_id)
        return self._breasts[str(study_id)].setdefault(
            laterality, {"composition": None, "assessments": [], "findings": []})

    def composition(self, study_id: str, laterality: str, value: str | None) -> None:
        if value is not None:
            b = self._breast(study_id, laterality)
            b["composition"] = b["composition"] or value

    def assessment(self, study_id: str, laterality: str, value: str | None) -> None:
        b = self._breast(study_id, laterality)
        if value is not None:
            b["assessments"].append(value)

    def finding(self, study_id: str, laterality: str, finding: Finding) -> None:
        self._breast(study_id, laterality)["findings"].append(finding)

    def build(self) -> dict[str, Exam]:
        from mammofm.birads import combine_assessments

        out = {}
        for sid, breasts in self._breasts.items():
            recs = {Laterality(lat): Breast(composition=b["composition"],
                                            assessment=combine_assessments(b["assessments"]),
                                            findings=b["findings"])
                    for lat, b in breasts.items()}
            out[sid] = Exam(study_id=sid, breasts=recs, **self._meta.get(sid, {}))
        return out


def finish(dataset: str, rows: list[dict[str, Any]], exams: dict[str, Exam],
           annotations: list[dict[str, Any]], *, overrides: pd.DataFrame | None = None,
           licence_note: str | None = None, notes: list[str] | None = None,
           errors: list[str] | None = None) -> AdapterResult:
    """Assemble an AdapterResult: manifest with labels attached, annotation table."""
    manifest = to_frame(rows) if rows else to_frame([])
    manifest = attach_labels(manifest, exams, overrides=overrides)
    ann = pd.DataFrame(annotations, columns=list(ANNOTATION_COLUMNS))
    for c in ("x0", "y0", "x1", "y1"):
        ann[c] = pd.to_numeric(ann[c], errors="coerce").astype(float)
    ann["finding_index"] = pd.to_numeric(ann["finding_index"], errors="coerce").astype("Int64")
    ann["mask_path"] = ann["mask_path"].fillna("").astype(str)
    return AdapterResult(manifest, exams, ann, dataset, licence_note, list(notes or []),
                         list(errors or []))


def as_path(root: str | os.PathLike[str]) -> Path:
    p = Path(root)
    if not p.is_dir():
        raise AdapterError(f"{p}: dataset folder not found")
    return p


#: datasets whose licence restricts what may be done with models trained on them; trainers
#: check ``manifest["dataset"]`` against this before saving or releasing a model.
LICENCE_NOTES: dict[str, str] = {
    "embed": ("EMBED licence: models trained on EMBED data may not be released or shared "
              "outside the licensee; keep such models private."),
}


def licence_warnings(datasets: Iterable[str], *, warn: bool = True) -> list[str]:
    """The licence notes of the datasets a model was trained on (e.g. ``manifest["dataset"]``);
    call it when saving or releasing a model. Warns (UserWarning) unless ``warn`` is False."""
    import warnings

    notes = [LICENCE_NOTES[d] for d in sorted({str(d) for d in datasets}) if d in LICENCE_NOTES]
    if warn:
        for n in notes:
            warnings.warn(n, UserWarning, stacklevel=2)
    return notes
