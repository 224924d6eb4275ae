"""Preprocessing: breast crop, canonical side, aspect-preserving resize + pad, 16-bit PNG,
manifest; batch runs in parallel, resumable, with failures recorded.

``preprocess_image(path, out_dir, config)`` -> one manifest row; ``run_preprocess(sources,
out_dir, config, workers, progress)`` -> the manifest DataFrame (also written to
``out_dir/manifest.parquet``). ``breast_crop(image)`` and ``detect_chest_wall_side(image)`` are the
building blocks, usable on any display image (2-D, higher = brighter).
"""

from __future__ import annotations

from .batch import RunSummary, find_sources, run_preprocess
from .config import PreprocessConfig
from .crop import BreastMask, CropParams, breast_crop, breast_mask
from .pipeline import IMAGES_DIR, image_key, locate_breast, preprocess_image, process_image
from .png import encode_png, read_png, write_png
from .render import render
from .sheet import contact_sheet
from .side import (CANONICAL_SIDE, SideDecision, chest_wall_side, decide_flip,
                   detect_chest_wall_side, tag_chest_wall_side)

__all__ = [
    "CANONICAL_SIDE", "IMAGES_DIR", "BreastMask", "CropParams", "PreprocessConfig", "RunSummary",
    "SideDecision", "breast_crop", "breast_mask", "chest_wall_side", "contact_sheet", "decide_flip",
    "detect_chest_wall_side", "encode_png",
    "find_sources", "image_key", "locate_breast", "preprocess_image", "process_image", "read_png",
    "render", "run_preprocess", "tag_chest_wall_side", "write_png",
]
