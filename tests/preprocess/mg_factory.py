"""Small synthetic MG DICOMs for the preprocessing tests (written with pydicom's encoders)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (ExplicitVRLittleEndian, JPEG2000Lossless, JPEGLSLossless, RLELossless,
                         SecondaryCaptureImageStorage, generate_uid)

SMALL = (256, 160)  # the output size of the real-mammogram runs
SYNTAXES = {"explicit": ExplicitVRLittleEndian, "rle": RLELossless, "jpegls": JPEGLSLossless,
            "j2k": JPEG2000Lossless}


def breast_image(h: int = 400, w: int = 256, chest: str = "left", seed: int = 0,
                 label: bool = True, film_edge: bool = False) -> tuple[np.ndarray, tuple]:
    """A 12-bit 'mammogram': textured half-ellipse breast on the chest-wall side, dark
    noisy background, a bright burned-in label block in a far corner and optionally a film
    edge line along the top. Returns (stored values, breast box y0, x0, y1, x1)."""
    rng = np.random.default_rng(seed)
    img = rng.normal(150, 20, (h, w))
    yy, xx = np.mgrid[0:h, 0:w]
    cy, ry, rx = h / 2, 0.42 * h, 0.62 * w
    dx = xx if chest == "left" else (w - 1 - xx)
    inside = ((yy - cy) / ry) ** 2 + (dx / rx) ** 2 <= 1
    tex = rng.normal(0, 1, (h // 8 + 1, w // 8 + 1))
    tex = np.kron(tex, np.ones((8, 8)))[:h, :w]
    img[inside] = 1800 + 500 * tex[inside] + 800 * (1 - dx[inside] / rx)
    ys, xs = np.nonzero(inside)
    box = (ys.min(), xs.min(), ys.max() + 1, xs.max() + 1)
    if label:  # three 'letters' near the top corner on the nipple side
        lx = w - 60 if chest == "left" else 12
        for i in range(3):
            img[14:34, lx + 16 * i: lx + 16 * i + 10] = 4000
    if film_edge:
        img[:4, :] = 3900
    return np.clip(img, 0, 4095).astype(np.uint16), box


def write_mg(path: Path, stored: np.ndarray, *, laterality: str | None = "L",
             view: str | None = "CC", photometric: str = "MONOCHROME2",
             syntax: str = "explicit", window: tuple | None = None,
             function: str | None = None, orientation: list | None = None,
             spacing: float | None = 0.1, uid: str | None = None) -> Path:
    """Write a small MG-like DICOM with pydicom (its own encoders compress it)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = uid or generate_uid(entropy_srcs=[str(path)])
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.StudyInstanceUID = generate_uid(entropy_srcs=["study", str(path.parent)])
    ds.SeriesInstanceUID = generate_uid(entropy_srcs=["series", str(path)])
    ds.PatientID = "P1"
    ds.Modality = "MG"
    if laterality:
        ds.ImageLaterality = laterality
    if view:
        ds.ViewPosition = view
    if orientation:
        ds.PatientOrientation = orientation
    if spacing:
        ds.ImagerPixelSpacing = [spacing, spacing]
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    if function:
        ds.VOILUTFunction = function
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    arr = (4095 - stored) if photometric == "MONOCHROME1" else stored
    ds.PixelData = arr.astype(np.uint16).tobytes()
    if syntax != "explicit":
        ds.compress(SYNTAXES[syntax], arr.astype(np.uint16))
    ds.save_as(path, enforce_file_format=True)
    return path
