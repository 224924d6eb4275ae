"""Writing Digital Mammography X-Ray "For Presentation" objects (pydicom).

The synthetic cohort and tests need real MG files: the Patient, Study, Series, Equipment,
General Image, Image Pixel, DX Anatomy / Image / Detector, Mammography Image, VOI LUT and SOP
Common modules, with the variations real archives hold (MONOCHROME1/2, SIGMOID windows,
RLE / JPEG-LS / JPEG 2000 transfer syntaxes, optional tags missing). Pixel encoding is done
by pydicom's own encoders (``Dataset.compress``); this module only fills in the attributes.
Bytes are deterministic: no clock, no random UIDs (see ``deterministic_uid``).
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sr.codedict import codes
from pydicom.uid import (
    UID,
    DigitalMammographyXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLSLossless,
    RLELossless,
)

from mammofm.common.atomic import atomic_write_bytes

#: short names of the transfer syntaxes the writer can produce -> UID
TRANSFER_SYNTAXES: dict[str, UID] = {
    "explicit": ExplicitVRLittleEndian,
    "rle": RLELossless,
    "jpegls": JPEGLSLossless,
    "j2k": JPEG2000Lossless,
}
#: attributes (or groups) a writer may leave out to imitate incomplete real archives
OPTIONAL_GROUPS: dict[str, tuple[str, ...]] = {
    "ViewPosition": ("ViewPosition",),
    "ImageLaterality": ("ImageLaterality",),  # Laterality (series level) is written instead
    "PatientOrientation": ("PatientOrientation",),
    "Window": ("WindowCenter", "WindowWidth", "WindowCenterWidthExplanation", "VOILUTFunction"),
    "PixelSpacing": ("PixelSpacing",),  # ImagerPixelSpacing stays
    "BodyPartThickness": ("BodyPartThickness", "CompressionForce"),
    "PatientAge": ("PatientAge",),
}
_VIEW_CODES = {"CC": codes.SCT.CranioCaudal, "MLO": codes.SCT.MedioLateralObliqueProjection}
#: PatientOrientation (row direction, column direction) of a standard stored image
_ORIENTATION = {("L", "CC"): ("A", "R"), ("R", "CC"): ("P", "L"),
                ("L", "MLO"): ("A", "F"), ("R", "MLO"): ("P", "F")}


def deterministic_uid(*keys: object) -> UID:
    """A valid UID under the 2.25 root (ISO/IEC 9834-8) from a name-based UUID of ``keys``:
    the same keys always give the same UID, different keys practically never collide."""
    u = uuid.uuid5(uuid.NAMESPACE_OID, "mammofm:" + "/".join(map(str, keys)))
    return UID(f"2.25.{u.int}")


@dataclass
class Window:
    center: float
    width: float
    explanation: str = "NORMAL"


@dataclass
class MGImageMeta:
    """Everything the writer needs beyond the pixels; defaults give a complete GE-like header."""

    patient_id: str
    study_uid: str
    series_uid: str
    sop_uid: str
    laterality: str  # L / R
    view: str  # CC / MLO
    pixel_spacing_mm: float
    patient_name: str = ""
    patient_birth_date: _dt.date | None = None
    patient_age: int | None = None
    study_date: _dt.date = _dt.date(2020, 1, 1)
    study_time: str = "090000"
    accession_number: str = ""
    study_id: str = "1"
    series_number: int = 1
    instance_number: int = 1
    photometric: str = "MONOCHROME2"
    bits_stored: int = 12
    windows: list[Window] = field(default_factory=list)
    voi_lut_function: str | None = None  # LINEAR (default when None), SIGMOID
    manufacturer: str = "mammofm synthetic"
    model_name: str = "SYNTH-1"
    institution: str = ""
    kvp: float | None = 28.0
    exposure_mas: float | None = None
    body_part_thickness_mm: float | None = None
    compression_force_n: float | None = None
    implant_present: bool = False
    #: stored image mirrored left-right compared with the standard orientation
    mirrored: bool = False
    #: names from OPTIONAL_GROUPS to leave out
    omit: tuple[str, ...] = ()
    study_description: str = "MAMMOGRAM SCREENING BILATERAL"


class DicomWriteError(ValueError):
    """Pixels or metadata that cannot make a valid MG object (names the file and the cause)."""


def _code_item(code: object) -> Dataset:
    item = Dataset()
    item.CodeValue = code.value  # type: ignore[attr-defined]
    item.CodingSchemeDesignator = code.scheme_designator  # type: ignore[attr-defined]
    item.CodeMeaning = code.meaning  # type: ignore[attr-defined]
    return item


def _da(d: _dt.date | None) -> str:
    return "" if d is None else d.strftime("%Y%m%d")


def _ds_str(v: float) -> str:
    """A DS value: at most 16 characters, no exponent surprises."""
    s = f"{v:.6g}"
    return s if len(s) <= 16 else f"{v:.4f}"[:16]


def build_mg_dataset(pixels: np.ndarray, meta: MGImageMeta) -> Dataset:
    """The uncompressed MG For Presentation dataset of one image (no file meta yet)."""
    arr = np.asarray(pixels)
    if arr.ndim != 2:
        raise DicomWriteError(f"pixels must be 2-D (rows, columns), got shape {arr.shape}")
    if arr.dtype != np.uint16:
        raise DicomWriteError(f"pixels must be uint16, got {arr.dtype}")
    if not 8 <= meta.bits_stored <= 16:
        raise DicomWriteError(f"bits_stored {meta.bits_stored} outside 8..16")
    if int(arr.max(initial=0)) >= (1 << meta.bits_stored):
        raise DicomWriteError(f"pixel value {int(arr.max())} does not fit {meta.bits_stored} bits")
    lat, view = meta.laterality.upper(), meta.view.upper()
    if lat not in ("L", "R") or view not in _VIEW_CODES:
        raise DicomWriteError(f"laterality/view {lat}/{view} not one of L/R x CC/MLO")
    if meta.photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise DicomWriteError(f"photometric {meta.photometric} not MONOCHROME1/2")
    omit: set[str] = set()
    for name in meta.omit:
        if name not in OPTIONAL_GROUPS:
            raise DicomWriteError(f"unknown optional group {name!r}; known: {', '.join(OPTIONAL_GROUPS)}")
        omit.update(OPTIONAL_GROUPS[name])

    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SOPClassUID = DigitalMammographyXRayImageStorageForPresentation
    ds.SOPInstanceUID = meta.sop_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = _da(meta.study_date)
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = ds.AcquisitionTime = meta.study_time
    ds.AccessionNumber = meta.accession_number
    ds.Modality = "MG"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.Manufacturer = meta.manufacturer
    ds.InstitutionName = meta.institution
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = meta.study_description
    ds.SeriesDescription = f"{lat} {view}"
    ds.ManufacturerModelName = meta.model_name
    # patient
    ds.PatientName = meta.patient_name or meta.patient_id
    ds.PatientID = meta.patient_id
    ds.PatientBirthDate = _da(meta.patient_birth_date)
    ds.PatientSex = "F"
    if meta.patient_age is not None:
        ds.PatientAge = f"{int(meta.patient_age):03d}Y"
    # acquisition
    ds.BodyPartExamined = "BREAST"
    if meta.kvp is not None:
        ds.KVP = _ds_str(meta.kvp)
    if meta.exposure_mas is not None:
        ds.ExposureInmAs = float(meta.exposure_mas)
    if meta.body_part_thickness_mm is not None:
        ds.BodyPartThickness = _ds_str(meta.body_part_thickness_mm)
    if meta.compression_force_n is not None:
        ds.CompressionForce = _ds_str(meta.compression_force_n)
    ds.ImagerPixelSpacing = [_ds_str(meta.pixel_spacing_mm)] * 2
    ds.PixelSpacing = [_ds_str(meta.pixel_spacing_mm)] * 2
    ds.PixelSpacingCalibrationType = "GEOMETRY"
    ds.DetectorType = "DIRECT"
    ds.PositionerType = "MAMMOGRAPHIC"
    ds.ViewPosition = view
    ds.EstimatedRadiographicMagnificationFactor = "1.0"
    # study / series / image identity
    ds.StudyInstanceUID = meta.study_uid
    ds.SeriesInstanceUID = meta.series_uid
    ds.StudyID = meta.study_id
    ds.SeriesNumber = meta.series_number
    ds.InstanceNumber = meta.instance_number
    orient = _ORIENTATION[(lat, view)]
    if meta.mirrored:
        flip = {"A": "P", "P": "A"}
        orient = (flip[orient[0]], orient[1])
    ds.PatientOrientation = list(orient)
    if "ImageLaterality" in omit:
        ds.Laterality = lat
    ds.ImageLaterality = lat
    ds.OrganExposed = "BREAST"
    ds.BreastImplantPresent = "YES" if meta.implant_present else "NO"
    ds.PartialView = "NO"
    region = _code_item(codes.SCT.Breast)
    ds.AnatomicRegionSequence = [region]
    view_item = _code_item(_VIEW_CODES[view])
    view_item.ViewModifierCodeSequence = []
    ds.ViewCodeSequence = [view_item]
    # pixels
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = meta.photometric
    ds.Rows, ds.Columns = int(arr.shape[0]), int(arr.shape[1])
    ds.BitsAllocated = 16
    ds.BitsStored = int(meta.bits_stored)
    ds.HighBit = int(meta.bits_stored) - 1
    ds.PixelRepresentation = 0
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = -1 if meta.photometric == "MONOCHROME2" else 1
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.RescaleType = "US"
    ds.PresentationLUTShape = "IDENTITY" if meta.photometric == "MONOCHROME2" else "INVERSE"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    if meta.windows:
        ds.WindowCenter = [_ds_str(w.center) for w in meta.windows]
        ds.WindowWidth = [_ds_str(w.width) for w in meta.windows]
        ds.WindowCenterWidthExplanation = [w.explanation for w in meta.windows]
        if meta.voi_lut_function:
            ds.VOILUTFunction = meta.voi_lut_function
    ds.PixelData = np.ascontiguousarray(arr, dtype="<u2").tobytes()
    for keyword in omit:
        if keyword in ds:
            delattr(ds, keyword)
    return ds


def encode_mg(pixels: np.ndarray, meta: MGImageMeta, transfer_syntax: str = "explicit") -> bytes:
    """The bytes of a complete MG Part-10 file, encoded in one of ``TRANSFER_SYNTAXES``."""
    if transfer_syntax not in TRANSFER_SYNTAXES:
        raise DicomWriteError(f"unknown transfer syntax {transfer_syntax!r}; "
                              f"known: {', '.join(TRANSFER_SYNTAXES)}")
    ds = build_mg_dataset(pixels, meta)
    tsuid = TRANSFER_SYNTAXES[transfer_syntax]
    fm = FileMetaDataset()
    fm.MediaStorageSOPClassUID = ds.SOPClassUID
    fm.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    fm.TransferSyntaxUID = ExplicitVRLittleEndian
    fm.ImplementationClassUID = deterministic_uid("mammofm", "implementation")
    fm.ImplementationVersionName = "MAMMOFM_SYNTH"
    ds.file_meta = fm
    if tsuid != ExplicitVRLittleEndian:
        ds.compress(tsuid, np.ascontiguousarray(pixels, dtype=np.uint16),
                    generate_instance_uid=False)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def write_mg(path: str | os.PathLike[str], pixels: np.ndarray, meta: MGImageMeta,
             transfer_syntax: str = "explicit") -> Path:
    """Write one MG For Presentation file atomically; errors name the file and the cause."""
    path = Path(path)
    try:
        data = encode_mg(pixels, meta, transfer_syntax)
    except DicomWriteError as exc:
        raise DicomWriteError(f"{path}: {exc}") from exc
    return atomic_write_bytes(path, data)


def required_mg_attributes() -> Iterable[str]:
    """Type 1 / 2 attributes of the MG For Presentation IOD this writer always fills
    (used by tests and by readers that want to check an object is complete)."""
    return ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID",
            "PatientID", "PatientName", "PatientBirthDate", "PatientSex", "StudyDate",
            "StudyTime", "AccessionNumber", "ReferringPhysicianName", "StudyID", "Modality",
            "SeriesNumber", "InstanceNumber", "PresentationIntentType", "Manufacturer",
            "ImageType", "SamplesPerPixel", "PhotometricInterpretation", "Rows", "Columns",
            "BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation",
            "PixelIntensityRelationship", "PixelIntensityRelationshipSign", "RescaleIntercept",
            "RescaleSlope", "RescaleType", "PresentationLUTShape", "LossyImageCompression",
            "ImagerPixelSpacing", "DetectorType", "PositionerType", "OrganExposed",
            "BreastImplantPresent", "AnatomicRegionSequence", "ViewCodeSequence",
            "BurnedInAnnotation", "PixelData")
