"""One image: decode -> breast crop -> side -> fit -> render -> PNG, and its manifest row.

Every output is written atomically, the PNG first and the row record (``rows/<id>.json``)
last, so a row record on disk means the image is finished; a resumed run reuses it when the
source and the configuration are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from mammofm.common.atomic import atomic_write_text
from mammofm.common.geometry import FrameTransform, fit_transform
from mammofm.common.manifest import empty_row
from mammofm.dicom import DicomError, DicomHeader, decode_with_map, read_header
from mammofm.dicom.display import DisplayMap

from .config import PreprocessConfig
from .crop import BreastMask, breast_mask
from .png import write_png
from .render import render
from .resize import area_resize
from .side import SideDecision, chest_wall_side, decide_flip, tag_chest_wall_side

#: the columns a row has beyond MANIFEST_COLUMNS, in manifest order
EXTRA_COLUMNS: tuple[str, ...] = (
    "out_height", "out_width", "bit_depth", "pixel_spacing_row_mm", "pixel_spacing_col_mm",
    "out_pixel_spacing_mm", "laterality_source", "view_source", "chest_wall_side", "side_source",
    "side_image", "side_confidence", "side_tags", "decoder", "transfer_syntax", "photometric",
    "bits_stored", "voi", "config_fingerprint",
)
IMAGES_DIR = "images"
ROWS_DIR = "rows"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def image_key(header: DicomHeader | None, path: str | os.PathLike[str]) -> str:
    """File stem for an image: its SOPInstanceUID, or a hash of the source path without one."""
    if header is not None and header.ids.image_id:
        return _SAFE.sub("_", header.ids.image_id)[:200]
    return "nouid-" + hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:16]


def locate_breast(stored: np.ndarray, dmap: DisplayMap, work_size: int,
                  params: Any = None) -> tuple[BreastMask, tuple[int, int, int, int]]:
    """The breast mask on a thumbnail of the display image, and the crop box in original
    pixels. The thumbnail is made from the stored values, then mapped (cheap)."""
    h, w = stored.shape
    s = min(1.0, work_size / max(h, w))
    th, tw = max(1, round(h * s)), max(1, round(w * s))
    step = max(1, int(1 / s) // 2)  # sample every step-th pixel, then average 2x2 or more
    small = area_resize(stored[::step, ::step], (th, tw)) if s < 1 else stored
    if dmap.lut is not None and small.dtype != stored.dtype:
        small = np.rint(small).astype(stored.dtype)
    disp = dmap.apply(small)
    bm = breast_mask(disp, params)
    y0, x0, y1, x1 = bm.box
    sy, sx = h / th, w / tw
    box = (max(0, int(np.floor(y0 * sy))), max(0, int(np.floor(x0 * sx))),
           min(h, int(np.ceil(y1 * sy))), min(w, int(np.ceil(x1 * sx))))
    return bm, box


def _failed_row(path: Path, header: DicomHeader | None, error: str, cfg: PreprocessConfig
                ) -> dict[str, Any]:
    row = empty_row()
    row.update(source_path=str(path), status="failed", error=" ".join(error.split()),
               dataset=cfg.dataset, image_path="")
    if header is not None:
        row.update(image_id=header.ids.image_id, patient_id=header.ids.patient_id,
                   study_id=header.ids.study_id, laterality=header.laterality, view=header.view)
    return row


def _row(path: Path, png: Path, header: DicomHeader, t: FrameTransform, side: SideDecision,
         decoder: str, dmap: DisplayMap, cfg: PreprocessConfig) -> dict[str, Any]:
    row = empty_row()
    sp = header.pixel_spacing_mm
    row.update(
        image_id=header.ids.image_id or image_key(header, path),
        patient_id=header.ids.patient_id, study_id=header.ids.study_id,
        laterality=header.laterality, view=header.view,
        source_path=str(path), image_path=str(png),
        orig_height=t.orig_height, orig_width=t.orig_width,
        crop_box=list(t.crop_box), scale=t.scale, pad=list(t.pad), flipped=t.flipped,
        pixel_spacing_mm=None if sp is None else float((sp[0] + sp[1]) / 2),
        dataset=cfg.dataset, split=None, status="ok", error="",
        out_height=t.out_size[0], out_width=t.out_size[1], bit_depth=cfg.bit_depth,
        pixel_spacing_row_mm=None if sp is None else float(sp[0]),
        pixel_spacing_col_mm=None if sp is None else float(sp[1]),
        out_pixel_spacing_mm=None if sp is None else float((sp[0] + sp[1]) / 2 / t.scale),
        laterality_source=header.laterality_source, view_source=header.view_source,
        chest_wall_side=side.chest_wall, side_source=side.source,
        side_image=side.image_side, side_confidence=round(side.image_confidence, 4),
        side_tags=side.tag_side, decoder=decoder, transfer_syntax=header.transfer_syntax,
        photometric=header.photometric, bits_stored=header.bits_stored, voi=dmap.voi,
        config_fingerprint=cfg.fingerprint(),
    )
    return row


def _cached_row(row_path: Path, png: Path, path: Path, cfg: PreprocessConfig
                ) -> dict[str, Any] | None:
    if not (row_path.is_file() and png.is_file()):
        return None
    try:
        row = json.loads(row_path.read_text())
    except (OSError, ValueError):
        return None
    if row.get("source_path") != str(path) or row.get("config_fingerprint") != cfg.fingerprint():
        return None
    return row


def process_image(path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                  config: PreprocessConfig) -> tuple[dict[str, Any], bool]:
    """(manifest row, reused): like ``preprocess_image``, also saying whether a finished
    output of an earlier run was reused."""
    path = Path(path).resolve()
    out = Path(out_dir).resolve()
    header: DicomHeader | None = None
    try:
        header = read_header(path)
        key = image_key(header, path)
        png = out / IMAGES_DIR / f"{key}.png"
        row_path = out / ROWS_DIR / f"{key}.json"
        cached = _cached_row(row_path, png, path, config)
        if cached is not None:
            return cached, True
        header, stored, dmap, decoder = decode_with_map(
            path, window=config.window, voi_function=config.voi_function,
            decoder=config.decoder, apply_voi=config.apply_voi, header=header)
        bm, box = locate_breast(stored, dmap, config.crop.work_size, config.crop)
        img_side, conf = chest_wall_side(bm.mask)
        side = decide_flip(tag_chest_wall_side(header.laterality, header.chest_wall_side),
                           img_side, conf, config.side_min_confidence)
        t = fit_transform(stored.shape, box, config.size, side.flipped)
        image = render(stored, dmap, t, config.bit_depth)
        write_png(png, image, config.png_compression)
        row = _row(path, png, header, t, side, decoder, dmap, config)
        atomic_write_text(row_path, json.dumps(row))
        return row, False
    except DicomError as exc:
        return _failed_row(path, header, str(exc), config), False
    except Exception as exc:  # an unexpected failure must not stop a batch either
        return _failed_row(path, header, f"{path}: {type(exc).__name__}: {exc}", config), False


def preprocess_image(path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                     config: PreprocessConfig | None = None) -> dict[str, Any]:
    """Preprocess one DICOM into ``out_dir/images/<image_id>.png``; return its manifest row
    (status 'failed' with the reason instead of raising, so batches go on)."""
    return process_image(path, out_dir, config or PreprocessConfig())[0]
