"""Tags only (``stop_before_pixels``): ids, laterality, view, spacing and pixel format.

Fast enough to run over a whole archive before any pixel is decoded (about 1 ms per file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset

from .errors import DicomError
from .orientation import chest_wall_side_from_tags, laterality_from_tags, view_from_tags


@dataclass(frozen=True)
class ImageIds:
    patient_id: str | None
    study_id: str | None  # StudyInstanceUID
    image_id: str | None  # SOPInstanceUID


@dataclass
class DicomHeader:
    """What the tags say about one image, plus the pydicom dataset they came from."""

    source_path: str
    ids: ImageIds
    laterality: str | None
    laterality_source: str  # the tag that gave it ('' when unknown)
    view: str | None
    view_source: str
    chest_wall_side: str | None  # 'left' / 'right' from PatientOrientation, else None
    pixel_spacing_mm: tuple[float, float] | None  # (row, col)
    pixel_spacing_source: str
    rows: int | None
    columns: int | None
    frames: int
    samples_per_pixel: int | None
    photometric: str | None
    bits_allocated: int | None
    bits_stored: int | None
    pixel_representation: int | None
    transfer_syntax: str | None
    modality: str | None
    dataset: Dataset = field(repr=False)
    #: file offset of the top-level pixel data element (where reading the tags stopped), so a
    #: decoder can read the pixel data without parsing the header again; None if unknown
    pixel_data_offset: int | None = None


def _pixel_spacing(ds: Dataset) -> tuple[tuple[float, float] | None, str]:
    """PixelSpacing (patient plane) > ImagerPixelSpacing (detector) > NominalScannedPixelSpacing
    (digitised film)."""
    for kw in ("PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing"):
        try:
            v = ds.get(kw)
            if v is not None and len(v) == 2:
                r, c = float(v[0]), float(v[1])
                if r > 0 and c > 0:
                    return (r, c), kw
        except (TypeError, ValueError):
            continue
    return None, ""


def _int(ds: Dataset, kw: str) -> int | None:
    try:
        v = ds.get(kw)
        return None if v is None or v == "" else int(v)
    except (TypeError, ValueError):
        return None


def _str(ds: Dataset, kw: str) -> str | None:
    try:
        v = ds.get(kw)
    except Exception:
        return None
    v = None if v is None else str(v).strip()
    return v or None


def header_from_dataset(ds: Dataset, path: str | os.PathLike[str],
                        pixel_data_offset: int | None = None) -> DicomHeader:
    """Build a :class:`DicomHeader` from an already-read dataset."""
    lat, lat_src = laterality_from_tags(ds)
    view, view_src = view_from_tags(ds)
    spacing, spacing_src = _pixel_spacing(ds)
    meta = getattr(ds, "file_meta", None)
    ts = None
    if meta is not None and "TransferSyntaxUID" in meta:
        ts = str(meta.TransferSyntaxUID)
    return DicomHeader(
        source_path=str(path),
        ids=ImageIds(_str(ds, "PatientID"), _str(ds, "StudyInstanceUID"),
                     _str(ds, "SOPInstanceUID")),
        laterality=lat, laterality_source=lat_src, view=view, view_source=view_src,
        chest_wall_side=chest_wall_side_from_tags(ds),
        pixel_spacing_mm=spacing, pixel_spacing_source=spacing_src,
        rows=_int(ds, "Rows"), columns=_int(ds, "Columns"),
        frames=_int(ds, "NumberOfFrames") or 1,
        samples_per_pixel=_int(ds, "SamplesPerPixel"),
        photometric=_str(ds, "PhotometricInterpretation"),
        bits_allocated=_int(ds, "BitsAllocated"), bits_stored=_int(ds, "BitsStored"),
        pixel_representation=_int(ds, "PixelRepresentation"),
        transfer_syntax=ts, modality=_str(ds, "Modality"), dataset=ds,
        pixel_data_offset=pixel_data_offset,
    )


def read_dataset(path: str | os.PathLike[str], *, stop_before_pixels: bool) -> Dataset:
    """pydicom.dcmread with every failure turned into one DicomError naming the file."""
    return _read(path, stop_before_pixels)[0]


def _read(path: str | os.PathLike[str], stop_before_pixels: bool
          ) -> tuple[Dataset, int | None]:
    """(dataset, offset of the pixel data element or None): with ``stop_before_pixels``
    pydicom stops at (and rewinds to) the start of the top-level pixel data element."""
    p = Path(path)
    if not p.is_file():
        raise DicomError(p, "file not found" if not p.exists() else "not a regular file")
    try:
        with open(p, "rb") as fp:
            ds = pydicom.dcmread(fp, stop_before_pixels=stop_before_pixels)
            offset = fp.tell()
            at_pixels = stop_before_pixels and fp.read(4) == b"\xe0\x7f\x10\x00"
            return ds, offset if at_pixels else None
    except pydicom.errors.InvalidDicomError as exc:
        raise DicomError(p, f"not a DICOM file ({exc})") from exc
    except Exception as exc:  # pydicom raises many types on damaged files
        raise DicomError(p, f"cannot parse DICOM ({type(exc).__name__}: {exc})") from exc


def read_header(path: str | os.PathLike[str]) -> DicomHeader:
    """Read the tags of one file (no pixel data); raise DicomError naming the file."""
    ds, offset = _read(path, stop_before_pixels=True)
    return header_from_dataset(ds, path, offset)
