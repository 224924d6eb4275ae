"""DICOM decoding: every transfer syntax, Modality/VOI LUTs, windows, laterality and view.

``read_image(path)`` -> :class:`DecodedImage` (uint16 pixels, higher = brighter);
``read_header(path)`` -> :class:`DicomHeader` (tags only); failures raise :class:`DicomError`
whose message names the file and the cause. ``write`` (MG objects) is a separate module.
"""

from __future__ import annotations

from .decoders import AUTO_ORDER, DECODERS, FrameBuffer, decode_stored
from .display import VOI_FUNCTIONS, DisplayMap, display_map
from .errors import DicomError
from .header import DicomHeader, ImageIds, header_from_dataset, read_header
from .read import DecodedImage, decode_with_map, read_image

__all__ = [
    "AUTO_ORDER", "DECODERS", "VOI_FUNCTIONS", "DecodedImage", "DicomError", "DicomHeader",
    "DisplayMap", "FrameBuffer", "ImageIds", "decode_stored", "decode_with_map", "display_map",
    "header_from_dataset", "read_header", "read_image",
]
