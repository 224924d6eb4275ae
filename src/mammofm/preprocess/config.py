"""The preprocessing configuration: a dataclass that round-trips through JSON."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .crop import CropParams
from .png import MAX_LEVEL as PNG_MAX_LEVEL


def default_workers() -> int:
    return max(1, min(8, (os.cpu_count() or 1)))


@dataclass
class PreprocessConfig:
    size: tuple[int, int] = (1520, 912)  # output H, W (the Mammo-CLIP input)
    bit_depth: int = 16  # 16 or 8 bit PNG
    manifest_format: str = "parquet"  # parquet or csv
    window: int = 0  # which window / VOI LUT item of the file
    voi_function: str | None = None  # override the file's VOILUTFunction
    apply_voi: bool = True  # False: min-max of the modality values instead
    decoder: str = "auto"
    workers: int = 1  # processes for run_preprocess (see default_workers() for "all cores")
    png_compression: int = 1  # deflate level 0-12 (libdeflate); 1 is fast and nearly as small as 9
    dataset: str = ""  # the manifest's dataset column
    side_min_confidence: float = 0.2  # image side score needed to overrule the tags
    crop: CropParams = field(default_factory=CropParams)

    def __post_init__(self) -> None:
        self.size = (int(self.size[0]), int(self.size[1]))
        if isinstance(self.crop, dict):
            self.crop = CropParams(**self.crop)
        if self.bit_depth not in (8, 16):
            raise ValueError(f"bit_depth must be 8 or 16, got {self.bit_depth}")
        if self.manifest_format not in ("parquet", "csv"):
            raise ValueError(
                f"manifest_format must be parquet or csv, got {self.manifest_format!r}")
        if not 0 <= int(self.png_compression) <= PNG_MAX_LEVEL:
            raise ValueError(f"png_compression must be 0-{PNG_MAX_LEVEL} (deflate level), "
                             f"got {self.png_compression}")
        if min(self.size) < 8:
            raise ValueError(f"size too small: {self.size}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["size"] = list(self.size)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PreprocessConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def fingerprint(self) -> str:
        """Hash of everything that changes output bytes (not workers, not the table format)."""
        d = self.to_dict()
        for k in ("workers", "manifest_format"):
            d.pop(k)
        return hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]
