"""Find DICOM files by what their headers say (UIDs, laterality, view), not by their paths.

Public downloads rename folders (CBIS-DDSM's CSV paths do not match the NBIA tree; CMMD keeps
laterality and view only in the headers), so adapters index the files they find. Only the
header is read (``stop_before_pixels``); unreadable files are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
from pydicom.errors import InvalidDicomError

DICOM_SUFFIXES = (".dcm", ".dicom", ".DCM")


@dataclass(frozen=True)
class DicomHeader:
    path: Path
    sop_uid: str
    series_uid: str
    study_uid: str
    patient_id: str
    rows: int | None
    columns: int | None
    laterality: str | None
    view: str | None  # ViewCodeSequence code meaning, else ViewPosition, else None


def _view(ds: Any) -> str | None:
    seq = ds.get("ViewCodeSequence")
    if seq:
        meaning = seq[0].get("CodeMeaning")
        if meaning:
            return str(meaning)
    vp = ds.get("ViewPosition")
    return str(vp) if vp else None


def read_header(path: Path) -> DicomHeader | None:
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, AttributeError):
        return None
    lat = ds.get("ImageLaterality") or ds.get("Laterality")
    return DicomHeader(path, str(ds.get("SOPInstanceUID", "")),
                       str(ds.get("SeriesInstanceUID", "")), str(ds.get("StudyInstanceUID", "")),
                       str(ds.get("PatientID", "")),
                       int(ds.Rows) if "Rows" in ds else None,
                       int(ds.Columns) if "Columns" in ds else None,
                       str(lat) if lat else None, _view(ds))


def dicom_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in DICOM_SUFFIXES and p.is_file())


def index_headers(paths: Iterable[Path], progress: bool = False
                  ) -> tuple[list[DicomHeader], list[Path]]:
    """(headers of readable files, unreadable paths); a rich progress bar if asked."""
    ok, bad = [], []
    paths = list(paths)
    if progress:
        from rich.progress import track

        paths = track(paths, description="reading DICOM headers")  # type: ignore[assignment]
    for p in paths:
        h = read_header(p)
        (ok if h is not None else bad).append(h if h is not None else p)
    return ok, bad  # type: ignore[return-value]
