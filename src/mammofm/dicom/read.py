"""``read_image``: one DICOM file -> display-ready pixels plus what the tags say."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .decoders import FrameBuffer, decode_stored
from .display import DisplayError, DisplayMap, display_map
from .errors import DicomError
from .header import DicomHeader, ImageIds, read_header


@dataclass
class DecodedImage:
    """A decoded grayscale image.

    ``pixels`` is ``uint16`` (H, W), 0 = black, 65535 = white: after Modality LUT, VOI (VOI LUT
    sequence or window) and MONOCHROME1 inversion, so higher is always brighter.
    ``float_pixels()`` gives float32 in [0, 1]."""

    pixels: np.ndarray
    laterality: str | None
    view: str | None
    pixel_spacing_mm: tuple[float, float] | None
    photometric: str | None
    bits_stored: int | None
    transfer_syntax: str | None
    decoder: str
    ids: ImageIds
    source_path: str
    voi: str  # which VOI was applied ("window 0 LINEAR c=.. w=..", "VOI LUT 0", "min-max")
    header: DicomHeader

    def float_pixels(self) -> np.ndarray:
        return self.pixels.astype(np.float32) / np.float32(65535)


def decode_with_map(path: str | os.PathLike[str], *, window: int = 0,
                    voi_function: str | None = None, decoder: str = "auto",
                    apply_voi: bool = True, header: DicomHeader | None = None,
                    buffer: FrameBuffer | None = None
                    ) -> tuple[DicomHeader, np.ndarray, DisplayMap, str]:
    """Header, stored values, display map and decoder name, without applying the map; for
    pipelines that apply it to a region only (see ``mammofm.preprocess``). ``header``: one
    already read from ``path``, to save reading it again; ``buffer``: see FrameBuffer (the
    stored values may then be a view of it)."""
    header = header if header is not None else read_header(path)
    stored, used = decode_stored(header, decoder, buffer)
    try:
        dmap = display_map(header.dataset, stored, window=window, voi_function=voi_function,
                           apply_voi=apply_voi)
    except DisplayError as exc:
        raise DicomError(path, str(exc)) from exc
    return header, stored, dmap, used


def read_image(path: str | os.PathLike[str], *, window: int = 0,
               voi_function: str | None = None, decoder: str = "auto",
               apply_voi: bool = True) -> DecodedImage:
    """Decode one grayscale DICOM image.

    ``window`` selects the window (or VOI LUT item), first by default; ``voi_function``
    overrides the file's VOILUTFunction (LINEAR, LINEAR_EXACT, SIGMOID); ``decoder`` is "auto"
    (pylibjpeg-rle for RLE, dicomsdl where it is known right, then pydicom and its plugins)
    or one name of ``mammofm.dicom.DECODERS``. Raises DicomError("<path>: <cause>") on any
    failure."""
    header, stored, dmap, used = decode_with_map(path, window=window, voi_function=voi_function,
                                                 decoder=decoder, apply_voi=apply_voi)
    return DecodedImage(
        pixels=dmap.apply(stored), laterality=header.laterality, view=header.view,
        pixel_spacing_mm=header.pixel_spacing_mm, photometric=header.photometric,
        bits_stored=header.bits_stored, transfer_syntax=header.transfer_syntax, decoder=used,
        ids=header.ids, source_path=str(Path(path)), voi=dmap.voi, header=header)
