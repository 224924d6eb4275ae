"""INbreast: ``INbreast.csv`` (semicolon-separated) + ``AllDICOMs/`` + ``AllXML/`` (OsiriX plists).

CSV columns ``Patient ID;Patient age;Laterality;View;Acquisition date;File Name;ACR;Bi-Rads``
(ACR may be blank or padded, Bi-Rads like ``4a``; the public file often says "removed" for the
patient). DICOMs are named ``<FileName>_<patient hash>_MG_<L|R>_<CC|ML>_ANON.dcm``, so the
patient comes from the hash and a study is (patient, acquisition date). ``AllXML/<FileName>.xml``
lists ROIs (``Name``, ``NumberOfPoints``, ``Point_px`` "(x, y)" strings); polygons become boxes
and, given ``work_dir``, masks rasterised with cv2.fillPoly (the image size comes from the
DICOM header). Point ROIs (single calcifications) get 1-pixel boxes; a breast's calcification
ROIs make one calcification finding, other kinds one finding per ROI of the busiest view.
"""

from __future__ import annotations

import plistlib
import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.parsers.expat import ExpatError

import cv2
import numpy as np

from mammofm.birads import Finding, FindingKind, lexicon
from mammofm.common.atomic import atomic_write_bytes

from ..boxes import box_class_index
from .base import (AdapterError, AdapterResult, ExamBuilder, Unmapped, as_path, assessment, blank,
                   composition_from_acr, find_file, finish, manifest_row, patient_split, read_csv,
                   records)
from .dicom_index import read_header

CSV_FILE = "INbreast.csv"
COLUMNS = ("Patient ID", "Patient age", "Laterality", "View", "Acquisition date", "File Name",
           "ACR", "Bi-Rads")
_DICOM_NAME = re.compile(
    r"^(?P<file>[^_]+)_(?P<hash>[0-9a-fA-F]+)_MG_(?P<lat>[LR])_(?P<view>[A-Z]+)")
_POINT = re.compile(r"\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)")
_REMOVED = {"removed", ""}


def roi_kind(name: str) -> tuple[str, dict[str, str]] | None:
    """An OsiriX ROI name -> (finding kind, descriptors) through the lexicon, or None."""
    text = name.strip()
    kind = lexicon.normalize("kind", text)
    if kind is not None:
        return kind, {}
    asym = lexicon.normalize("asymmetry_type", text)
    if asym is not None:
        return FindingKind.asymmetry.value, {"asymmetry_type": asym}
    dist = lexicon.normalize("distribution", text)  # "Cluster": a group of calcifications
    if dist is not None:
        return FindingKind.calcification.value, {"distribution": dist}
    return None


def parse_points(values: Any, path: Path) -> np.ndarray:
    pts = []
    for v in values or []:
        m = _POINT.search(str(v))
        if m is None:
            raise AdapterError(f"{path}: Point_px entry {v!r} is not an '(x, y)' string")
        pts.append((float(m.group(1)), float(m.group(2))))
    return np.array(pts, dtype=np.float64).reshape(-1, 2)


def read_rois(path: Path) -> list[tuple[str, np.ndarray]]:
    """(ROI name, (N, 2) points) for every ROI of every image in an OsiriX plist."""
    try:
        with open(path, "rb") as fh:
            doc = plistlib.load(fh)
    except (plistlib.InvalidFileException, ExpatError, ValueError) as exc:
        raise AdapterError(f"{path}: not an OsiriX plist ({type(exc).__name__}: {exc})") from exc
    out = []
    for image in doc.get("Images", []) if isinstance(doc, dict) else []:
        for roi in image.get("ROIs", []):
            out.append((str(roi.get("Name", "")), parse_points(roi.get("Point_px"), path)))
    return out


def index_dicoms(root: Path) -> dict[str, tuple[Path, str]]:
    """File Name -> (path, patient hash) from the DICOM file names."""
    out = {}
    for p in sorted(root.rglob("*.dcm")):
        m = _DICOM_NAME.match(p.name)
        if m:
            out[m.group("file")] = (p, m.group("hash"))
    return out


class INbreast:
    name = "inbreast"

    def read(self, root: Path, *, work_dir: Path | None = None, seed: int = 0,
             **options: Any) -> AdapterResult:
        root = as_path(root)
        csv_path = find_file(root, [CSV_FILE])
        table = read_csv(csv_path, COLUMNS, sep=";")
        dicoms = index_dicoms(root)
        xml_dir = next((p for p in (root / "AllXML", csv_path.parent / "AllXML") if p.is_dir()),
                       None)
        exams = ExamBuilder()
        unmapped = Unmapped()
        rows, annotations, notes, errors = [], [], [], []
        counts: dict[tuple[str, str], dict[tuple[str, tuple], dict[str, int]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(int)))
        for line, r in enumerate(records(table), 2):
            file_name = str(r["File Name"]).strip()
            lat = lexicon.normalize("laterality", str(r["Laterality"]))
            view = lexicon.normalize("view", str(r["View"]))
            view = {"ML": "MLO"}.get(view or "", view)  # INbreast's ML is the MLO view
            dicom, phash = dicoms.get(file_name, (None, None))
            pid_col = str(r["Patient ID"]).strip() if not blank(r["Patient ID"]) else ""
            pid = phash or (pid_col if pid_col.lower() not in _REMOVED else file_name)
            date = "" if blank(r["Acquisition date"]) else str(r["Acquisition date"]).strip()
            sid = f"{pid}_{date}" if date else pid
            header = read_header(dicom) if dicom is not None else None
            status, error = "ok", ""
            if dicom is None:
                status, error = "failed", f"{root}: no DICOM named {file_name}_*_MG_*.dcm"
            rows.append(manifest_row(
                image_id=file_name, patient_id=pid, study_id=sid, laterality=lat, view=view,
                source_path=dicom, dataset=self.name, split=patient_split(pid, seed),
                orig_height=header.rows if header else None,
                orig_width=header.columns if header else None, status=status, error=error))
            age = str(r["Patient age"]).strip() if not blank(r["Patient age"]) else ""
            exams.study(sid, patient_id=pid,
                        patient_age=int(age) if age.isdigit() and int(age) <= 120 else None)
            exams.composition(sid, lat, composition_from_acr(r["ACR"]))
            exams.assessment(sid, lat, assessment(r["Bi-Rads"]))
            xml = xml_dir / f"{file_name}.xml" if xml_dir is not None else None
            if xml is None or not xml.is_file():
                continue
            size = (header.rows, header.columns) if header and header.rows else None
            n = 0
            try:
                rois = read_rois(xml)
            except AdapterError as exc:  # one bad annotation file: record it and carry on
                errors.append(str(exc))
                continue
            for roi_name, pts in rois:
                got = roi_kind(roi_name)
                if got is None:
                    unmapped.add("ROI Name", roi_name)
                    continue
                if not len(pts):
                    continue
                kind, desc = got
                counts[(sid, lat)][(kind, tuple(sorted(desc.items())))][view] += 1
                if box_class_index(kind) is None:
                    continue
                ip = np.round(pts).astype(np.int32)
                box = (float(ip[:, 0].min()), float(ip[:, 1].min()),
                       float(ip[:, 0].max() + 1), float(ip[:, 1].max() + 1))
                mask_path = ""
                if work_dir is not None and size is not None and len(ip) >= 3:
                    mask = np.zeros(size, np.uint8)
                    cv2.fillPoly(mask, [ip.reshape(-1, 1, 2)], 255)
                    out = Path(work_dir) / "masks" / f"{file_name}_{n}.png"
                    ok, buf = cv2.imencode(".png", mask)
                    if ok:
                        atomic_write_bytes(out, buf.tobytes())
                        mask_path = str(out)
                annotations.append({"image_id": file_name, "study_id": sid, "laterality": lat,
                                    "view": view, "finding_index": n, "kind": kind,
                                    "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3],
                                    "mask_path": mask_path, "pathology": None})
                n += 1
        for (sid, lat), kinds in counts.items():
            for (kind, desc), by_view in kinds.items():
                number = 1 if kind == FindingKind.calcification.value else max(by_view.values())
                views = sorted(v for v in by_view if v)
                for _ in range(number):
                    exams.finding(sid, lat, Finding(kind=kind, views=views, **dict(desc)))
        notes.extend(unmapped.notes())
        missing = sum(r["status"] != "ok" for r in rows)
        if missing:
            notes.append(f"{missing} image(s) without a DICOM under {root}")
        return finish(self.name, rows, exams.build(), annotations, notes=notes, errors=errors)
