"""CBIS-DDSM: ``{mass,calc}_case_description_{train,test}_set.csv`` + the NBIA download tree.

One CSV row per abnormality per image. The CSV's image paths
(``Mass-Training_P_00001_LEFT_CC/<StudyUID>/<SeriesUID>/000000.dcm``, some quoted with embedded
newlines) do not match the download tree, so images are found by their Series UID: from NBIA's
``metadata.csv`` (``Series UID``, ``File Location``) when present, else by reading the headers of
every DICOM under the root. A ROI-mask series may also hold the cropped lesion image; the mask
is the file with the full image's size. Boxes come from the mask's nonzero pixels.

Decisions: a DDSM case is one exam of one patient, so ``study_id`` is the patient id (the
per-image DICOM StudyUID is kept in ``dicom_study_uid``); ``image_id`` is the SOPInstanceUID of
the full mammogram (the Series UID if the image is not downloaded, with status "failed").
An abnormality id seen in CC and MLO rows of one breast is one finding. Compound values joined
with '-' keep the most suspicious descriptor (lexicon enum order).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pydicom

from mammofm.birads import AssociatedFeature, Finding, FindingKind, combine_assessments, lexicon
from mammofm.common.atomic import atomic_write_bytes

from .base import (AdapterError, AdapterResult, ExamBuilder, Unmapped, as_path, assessment, blank,
                   check_columns, composition_from_acr, finish, manifest_row, pick_descriptor,
                   read_csv, records)
from .dicom_index import DicomHeader, dicom_files, index_headers, read_header

FILES = ("mass_case_description_train_set.csv", "mass_case_description_test_set.csv",
         "calc_case_description_train_set.csv", "calc_case_description_test_set.csv")
COMMON = ("patient_id", "left or right breast", "image view", "abnormality id",
          "abnormality type", "assessment", "pathology", "subtlety", "image file path",
          "cropped image file path", "ROI mask file path")
MASS = ("breast_density", "mass shape", "mass margins")
CALC = ("breast density", "calc type", "calc distribution")
NA = {"N/A", "NA", ""}
_UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")


def csv_uids(path_value: str, csv_path: Path, line: int) -> tuple[str, str, str]:
    """(case folder, StudyUID, SeriesUID) from a CSV path, tolerating quotes and newlines."""
    text = str(path_value).strip().strip('"')
    parts = [p.strip() for p in re.split(r"[\\/]", text) if p.strip()]
    uids = [p for p in parts if _UID.match(p)]
    if len(parts) < 3 or len(uids) < 2:
        raise AdapterError(f"{csv_path}: row {line}: path {path_value!r} does not hold "
                           "<case>/<StudyUID>/<SeriesUID>")
    return parts[0], uids[0], uids[1]


class SeriesIndex:
    """Series UID -> DICOM files, from NBIA metadata.csv or from headers."""

    def __init__(self, root: Path, progress: bool = False) -> None:
        self.root = root
        self.by_series: dict[str, list[Path]] = defaultdict(list)
        self._headers: dict[Path, DicomHeader | None] = {}
        meta = next(iter(sorted(root.rglob("metadata.csv"))), None)
        if meta is not None:
            table = read_csv(meta, ("Series UID", "File Location"))
            for r in records(table):
                loc = str(r["File Location"]).strip().replace("\\", "/")
                folder = (meta.parent / loc).resolve()
                self.by_series[str(r["Series UID"]).strip()] = sorted(
                    p for p in folder.glob("*.dcm")) if folder.is_dir() else []
        else:
            headers, _bad = index_headers(dicom_files(root), progress=progress)
            for h in headers:
                self.by_series[h.series_uid].append(h.path)
                self._headers[h.path] = h

    def header(self, path: Path) -> DicomHeader | None:
        if path not in self._headers:
            self._headers[path] = read_header(path)
        return self._headers[path]

    def files(self, series_uid: str) -> list[Path]:
        return self.by_series.get(series_uid, [])


def _split_values(value: Any) -> list[str]:
    if blank(value) or str(value).strip().upper() in NA:
        return []
    return [p for p in str(value).strip().split("-") if p and p.upper() not in NA]


def _mass_or_other(shape_parts: list[str]) -> tuple[str, str | None, bool]:
    """DDSM files distortions, asymmetries and lymph nodes under 'mass shape'.

    Returns (kind, asymmetry_type, distortion): a real shape among the parts keeps the finding
    a mass (a distortion beside it becomes an associated feature); otherwise the first other
    kind named wins.
    """
    shapes, others, ad, asym = [], [], False, None
    for p in shape_parts:
        words = p.replace("_", " ")
        asym_type = lexicon.normalize("asymmetry_type", words)
        kind = lexicon.normalize("kind", words)
        if asym_type is not None and kind in (None, FindingKind.asymmetry.value):
            asym = asym or asym_type
            others.append(FindingKind.asymmetry.value)
        elif kind == FindingKind.architectural_distortion.value:
            ad = True
            others.append(kind)
        elif kind is not None and kind != FindingKind.mass.value:
            others.append(kind)
        else:
            shapes.append(p)
    if shapes or not others:
        return FindingKind.mass.value, None, ad
    kind = others[0]
    return kind, asym if kind == FindingKind.asymmetry.value else None, False


class CBISDDSM:
    name = "cbis_ddsm"

    def read(self, root: Path, *, work_dir: Path | None = None, read_masks: bool = True,
             progress: bool = False, **options: Any) -> AdapterResult:
        """``work_dir``: where lesion masks are written as PNG (original frame); without it
        boxes are still read from the masks but mask_path stays empty."""
        root = as_path(root)
        present = [root / f for f in FILES if (root / f).is_file()]
        if not present:
            raise AdapterError(f"{root / FILES[0]}: file not found (nor the other CBIS-DDSM "
                               "case description CSVs)")
        index = SeriesIndex(root, progress=progress)
        unmapped = Unmapped()
        exams = ExamBuilder()
        images: dict[str, dict[str, Any]] = {}
        annotations: list[dict[str, Any]] = []
        lesions: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        per_image: dict[str, int] = defaultdict(int)
        errors: list[str] = []
        for path in present:
            is_mass = path.name.startswith("mass")
            table = read_csv(path, ())
            check_columns(table, COMMON + (MASS if is_mass else CALC), path)
            split = "train" if "_train_" in path.name else "test"
            for line, r in enumerate(records(table), 2):
                pid = str(r["patient_id"]).strip()
                lat = lexicon.normalize("laterality", str(r["left or right breast"]))
                view = lexicon.normalize("view", str(r["image view"]))
                if lat is None or view is None:
                    raise AdapterError(f"{path}: row {line}: cannot read laterality/view "
                                       f"{r['left or right breast']!r}/{r['image view']!r}")
                try:
                    _case, study_uid, series_uid = csv_uids(r["image file path"], path, line)
                except AdapterError as exc:  # record the row and carry on
                    errors.append(str(exc))
                    continue
                image = images.get(series_uid)
                if image is None:
                    image = self._image(index, pid, lat, view, study_uid, series_uid, split)
                    images[series_uid] = image
                image_id = image["image_id"]
                exams.study(pid, patient_id=pid)
                exams.composition(pid, lat, composition_from_acr(
                    r["breast_density" if is_mass else "breast density"]))
                exams.assessment(pid, lat, assessment(r["assessment"]))
                pathology = lexicon.normalize("pathology", str(r["pathology"]).replace("_", " ")) \
                    if not blank(r["pathology"]) else None
                if is_mass:
                    kind, asym, ad = _mass_or_other(_split_values(r["mass shape"]))
                    desc: dict[str, Any] = {"asymmetry_type": asym}
                    if kind == FindingKind.mass.value:
                        shapes = [p for p in _split_values(r["mass shape"])
                                  if lexicon.normalize("kind", p.replace("_", " ")) is None]
                        desc["shape"] = pick_descriptor("shape", shapes, unmapped)
                        desc["margin"] = pick_descriptor(
                            "margin", _split_values(r["mass margins"]), unmapped)
                    if ad:
                        desc["associated_features"] = [AssociatedFeature.architectural_distortion]
                else:
                    kind = FindingKind.calcification.value
                    desc = {"morphology": pick_descriptor(
                                "morphology", _split_values(r["calc type"]), unmapped),
                            "distribution": pick_descriptor(
                                "distribution", _split_values(r["calc distribution"]), unmapped)}
                key = (pid, lat, kind + ("" if is_mass else "c"), str(r["abnormality id"]))
                lesion = lesions.setdefault(key, {"kind": kind, "views": set(),
                                                  "assessments": [], "pathology": pathology,
                                                  "desc": desc, "lat": lat, "pid": pid})
                lesion["views"].add(view)
                lesion["assessments"].append(assessment(r["assessment"]))
                box, mask_path = (None, "")
                if read_masks and image["status"] == "ok":
                    try:
                        box, mask_path = self._mask(index, r["ROI mask file path"], path, line,
                                                    image, per_image[image_id], work_dir)
                    except Exception as exc:  # noqa: BLE001 - pixel decoders raise anything
                        errors.append(f"{path}: row {line}: ROI mask unusable "
                                      f"({type(exc).__name__}: {exc})")
                annotations.append({
                    "image_id": image_id, "study_id": pid, "laterality": lat, "view": view,
                    "finding_index": per_image[image_id], "kind": kind,
                    "x0": None if box is None else box[0], "y0": None if box is None else box[1],
                    "x1": None if box is None else box[2], "y1": None if box is None else box[3],
                    "mask_path": mask_path, "pathology": pathology})
                per_image[image_id] += 1
        for lesion in lesions.values():
            d = {k: v for k, v in lesion["desc"].items() if v is not None}
            exams.finding(lesion["pid"], lesion["lat"], Finding(
                kind=lesion["kind"], views=sorted(lesion["views"]), pathology=lesion["pathology"],
                assessment=combine_assessments(lesion["assessments"]), **d))
        rows = list(images.values())
        notes = unmapped.notes()
        missing = sum(r["status"] != "ok" for r in rows)
        if missing:
            notes.append(f"{missing} image series not found under {root}")
        return finish(self.name, rows, exams.build(), annotations, notes=notes, errors=errors)

    def _image(self, index: SeriesIndex, pid: str, lat: str, view: str, study_uid: str,
               series_uid: str, split: str) -> dict[str, Any]:
        files = index.files(series_uid)
        header = index.header(files[0]) if files else None
        if header is None:
            return manifest_row(image_id=series_uid, patient_id=pid, study_id=pid,
                                laterality=lat, view=view, source_path=None, dataset=self.name,
                                split=split, dicom_study_uid=study_uid, status="failed",
                                error=f"image series {series_uid} not found under {index.root}")
        return manifest_row(image_id=header.sop_uid or series_uid, patient_id=pid, study_id=pid,
                            laterality=lat, view=view, source_path=header.path, dataset=self.name,
                            split=split, orig_height=header.rows, orig_width=header.columns,
                            dicom_study_uid=study_uid)

    def _mask(self, index: SeriesIndex, path_value: Any, csv_path: Path, line: int,
              image: dict[str, Any], n: int, work_dir: Path | None
              ) -> tuple[tuple[float, float, float, float] | None, str]:
        if blank(path_value):
            return None, ""
        _c, _s, series_uid = csv_uids(path_value, csv_path, line)
        size = (image["orig_height"], image["orig_width"])
        for f in index.files(series_uid):
            h = index.header(f)
            if h is None or (h.rows, h.columns) != size:
                continue
            mask = pydicom.dcmread(f).pixel_array > 0
            ys, xs = np.nonzero(mask)
            if not len(xs):
                return None, ""
            box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
            if work_dir is None:
                return box, ""
            out = Path(work_dir) / "masks" / f"{image['image_id']}_{n}.png"
            ok, buf = cv2.imencode(".png", mask.astype(np.uint8) * 255)
            if ok:
                atomic_write_bytes(out, buf.tobytes())
            return box, str(out)
        return None, ""

