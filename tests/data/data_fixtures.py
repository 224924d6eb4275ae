"""Tiny prepared cohorts written by the tests themselves (PNG files + manifest + exams)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from mammofm.birads import Breast, Exam, Finding, FindingKind, Laterality, Pathology
from mammofm.common.manifest import write_manifest

H, W = 64, 40
VIEWS = [("L", "CC"), ("L", "MLO"), ("R", "CC"), ("R", "MLO")]


def _exam(study: str, patient: str, mass_left: bool) -> Exam:
    left = Breast(composition="b", assessment="4A" if mass_left else "1",
                  findings=[Finding(kind=FindingKind.mass, pathology=Pathology.malignant)]
                  if mass_left else [])
    right = Breast(composition="b", assessment="1")
    return Exam(study_id=study, patient_id=patient, breasts={Laterality.L: left,
                                                             Laterality.R: right})


def write_prepared(root: Path, *, annotations: bool = True, reports: bool = True,
                   eight_bit: bool = False) -> Path:
    """COHORT/prepared/64x40 with study S1 (4 views, mass in L-CC) and S2 (no R-MLO)."""
    prepared = root / "prepared" / f"{H}x{W}"
    (prepared / "images").mkdir(parents=True)
    (prepared / "masks").mkdir()
    rng = np.random.default_rng(0)
    rows, exams, anns = [], [], []
    for s, (study, patient, skip) in enumerate([("S1", "P1", None), ("S2", "P2", ("R", "MLO"))]):
        exams.append(_exam(study, patient, mass_left=(s == 0)))
        for lat, view in VIEWS:
            if (lat, view) == skip:
                continue
            image_id = f"{study}_{lat}{view}"
            if eight_bit:
                img = rng.integers(0, 256, (H, W), dtype=np.uint8)
            else:
                img = rng.integers(0, 65536, (H, W), dtype=np.uint16)
            img[0, 0] = 255 if eight_bit else 65535
            cv2.imwrite(str(prepared / "images" / f"{image_id}.png"), img)
            rows.append({"image_id": image_id, "patient_id": patient, "study_id": study,
                         "laterality": lat, "view": view, "image_path": f"images/{image_id}.png",
                         "orig_height": H, "orig_width": W, "crop_box": (0, 0, H, W),
                         "scale": 1.0, "pad": (0, 0), "flipped": lat == "R",
                         "dataset": "fixture", "split": "train" if s == 0 else "test",
                         "status": "ok", "error": ""})
    # one lesion in S1 L-CC: box + rectangular mask
    mask = np.zeros((H, W), np.uint8)
    mask[20:30, 10:18] = 255
    cv2.imwrite(str(prepared / "masks" / "S1_LCC_0.png"), mask)
    anns.append({"image_id": "S1_LCC", "study_id": "S1", "laterality": "L", "view": "CC",
                 "finding_index": 0, "kind": "mass", "x0": 10.0, "y0": 20.0, "x1": 18.0,
                 "y1": 30.0, "mask_path": "masks/S1_LCC_0.png", "pathology": "malignant"})
    write_manifest(pd.DataFrame(rows), prepared / "manifest.parquet")
    if annotations:
        pd.DataFrame(anns).to_parquet(prepared / "annotations.parquet", index=False)
    (root / "exams.jsonl").write_text("".join(e.model_dump_json() + "\n" for e in exams))
    if reports:
        (root / "reports.jsonl").write_text("".join(
            json.dumps({"study_id": e.study_id, "patient_id": e.patient_id, "style": "plain",
                        "text": f"report of {e.study_id}"}) + "\n" for e in exams))
    return prepared





def write_dicom(path: Path, pixels: np.ndarray, *, study_uid: str, series_uid: str,
                sop_uid: str, patient_id: str = "anon", laterality: str | None = None,
                view_meaning: str | None = None, image_laterality: bool = True) -> Path:
    """A minimal uncompressed MG DICOM file (for adapters that read headers or masks)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.2"
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, sop_uid
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.PatientID = study_uid, series_uid, patient_id
    ds.Modality = "MG"
    if laterality is not None:
        if image_laterality:
            ds.ImageLaterality = laterality
        else:
            ds.Laterality = laterality
    if view_meaning is not None:
        code = Dataset()
        code.CodeMeaning = view_meaning
        ds.ViewCodeSequence = Sequence([code])
    pixels = np.ascontiguousarray(pixels)
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8 * pixels.dtype.itemsize
    ds.HighBit, ds.PixelRepresentation = ds.BitsStored - 1, 0
    ds.PixelData = pixels.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path
