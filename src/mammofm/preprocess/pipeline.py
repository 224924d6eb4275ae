"""One image: decode -> breast crop -> side -> fit -> render -> PNG, and its manifest row.

Every output is written atomically (temporary file, fsync, rename), the PNG first and the row
record (``rows/<id>.json``) last, so a row record on disk means the image is finished; a
resumed run reuses it when the source and the configuration are unchanged. The work is split
in two (``compute_image``: everything up to the PNG bytes in a temporary file;
``commit_image``: fsync and renames) so a batch can wait on the disk for one image while it
computes the next.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mammofm.common.geometry import FrameTransform, fit_transform
from mammofm.common.manifest import empty_row
from mammofm.dicom import DicomError, DicomHeader, FrameBuffer, decode_with_map, read_header
from mammofm.dicom.display import DisplayMap

from .config import PreprocessConfig
from .crop import BreastMask, breast_mask
from .png import encode_png
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


@dataclass
class PendingImage:
    """An image computed but not yet committed: its PNG is written in full to a temporary
    file beside its final name (not yet fsynced), its row is ready. ``commit_image`` makes
    both durable and final, in that order."""

    row: dict[str, Any]
    part: Path  # the temporary PNG (``.<name>.<random>.part``, removed by a later run if left)
    png: Path
    row_path: Path
    mode: int  # permission bits of the outputs (umask applied)


def file_mode() -> int:
    """The mode an ordinary open() gives a new file (0666 less the umask). It reads the umask
    by setting it, so call it from one thread only (before any writer thread starts)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_part(target: Path, data: bytes, mode: int) -> Path:
    """``data`` in a new temporary file beside ``target`` (no fsync: see commit_image)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def compute_image(path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                  config: PreprocessConfig, mode: int | None = None,
                  buffer: FrameBuffer | None = None
                  ) -> tuple[dict[str, Any], bool] | PendingImage:
    """All the work on one image except making its outputs durable: (row, reused) for a
    reused or failed file, else a :class:`PendingImage` for ``commit_image``. The split lets
    a batch fsync one image's outputs (waiting on the disk) while the next one computes.
    ``mode``: the outputs' permission bits (default: from the umask); ``buffer``: memory for
    the decoded frame, reused from one image to the next by a batch."""
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
            decoder=config.decoder, apply_voi=config.apply_voi, header=header, buffer=buffer)
        bm, box = locate_breast(stored, dmap, config.crop.work_size, config.crop)
        img_side, conf = chest_wall_side(bm.mask)
        side = decide_flip(tag_chest_wall_side(header.laterality, header.chest_wall_side),
                           img_side, conf, config.side_min_confidence)
        t = fit_transform(stored.shape, box, config.size, side.flipped)
        image = render(stored, dmap, t, config.bit_depth)
        del stored  # the decoded frame (tens of MB) is not needed for the encoding
        data = encode_png(image, config.png_compression)
        row = _row(path, png, header, t, side, decoder, dmap, config)
        m = file_mode() if mode is None else mode
        return PendingImage(row, _write_part(png, data, m), png, row_path, m)
    except DicomError as exc:
        return _failed_row(path, header, str(exc), config), False
    except Exception as exc:  # an unexpected failure must not stop a batch either
        return _failed_row(path, header, f"{path}: {type(exc).__name__}: {exc}", config), False


def commit_image(p: PendingImage, config: PreprocessConfig) -> dict[str, Any]:
    """Make a computed image final: fsync its PNG, rename it into place, then write its row
    record (temporary file, fsync, rename), so a row record on disk always means a complete
    PNG. Safe to run in a thread (no umask calls). Returns the row (failed if a write fails)."""
    try:
        fd = os.open(p.part, os.O_RDONLY)
        try:
            os.fsync(fd)  # fsync is per file: it flushes what the worker wrote
        finally:
            os.close(fd)
        os.replace(p.part, p.png)
        p.row_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.row_path.name}.", suffix=".part",
                                   dir=p.row_path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(p.row))
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, p.mode)
            os.replace(tmp, p.row_path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return p.row
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p.part)
        row = empty_row()
        row.update({k: p.row.get(k) for k in ("image_id", "patient_id", "study_id",
                                              "laterality", "view")})
        src = p.row["source_path"]
        row.update(source_path=src, status="failed", image_path="", dataset=config.dataset,
                   error=f"{src}: cannot write the output {p.png}: {exc}")
        return row


def process_image(path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                  config: PreprocessConfig) -> tuple[dict[str, Any], bool]:
    """(manifest row, reused): like ``preprocess_image``, also saying whether a finished
    output of an earlier run was reused."""
    res = compute_image(path, out_dir, config)
    if isinstance(res, PendingImage):
        return commit_image(res, config), False
    return res


def preprocess_image(path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                     config: PreprocessConfig | None = None) -> dict[str, Any]:
    """Preprocess one DICOM into ``out_dir/images/<image_id>.png``; return its manifest row
    (status 'failed' with the reason instead of raising, so batches go on)."""
    return process_image(path, out_dir, config or PreprocessConfig())[0]
