"""Write an adapter's result as a cohort folder, the layout preprocessing and load_cohort know.

``OUT/manifest.parquet`` (image_path empty, source_path the DICOM), ``OUT/exams.jsonl``,
``OUT/annotations.parquet`` (original frame; masks under ``OUT/masks/``, paths relative to OUT)
and ``OUT/adapter.json`` (dataset, counts, licence note, notes, errors). Every file is written
atomically, so a killed conversion leaves no half-written table.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mammofm.common.atomic import atomic_path, atomic_write_text
from mammofm.common.manifest import write_manifest

from .base import AdapterResult
from .registry import load_adapter


def write_result(result: AdapterResult, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``result`` under ``out_dir``; returns the folder."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(result.manifest, out / "manifest.parquet")
    atomic_write_text(out / "exams.jsonl", "".join(
        e.model_dump_json() + "\n" for _, e in sorted(result.exams.items())))
    ann = result.annotations.copy()
    rel = []
    for p in ann["mask_path"]:
        if isinstance(p, str) and p and Path(p).is_absolute() and Path(p).is_relative_to(out):
            rel.append(str(Path(p).relative_to(out)))
        else:
            rel.append(p)
    ann["mask_path"] = rel
    with atomic_path(out / "annotations.parquet") as tmp:
        ann.to_parquet(tmp, index=False)
    summary: dict[str, Any] = {
        "dataset": result.dataset, "images": int(len(result.manifest)),
        "failed": int((result.manifest["status"] != "ok").sum()),
        "studies": len(result.exams), "annotations": int(len(result.annotations)),
        "licence_note": result.licence_note, "notes": result.notes, "errors": result.errors,
    }
    atomic_write_text(out / "adapter.json", json.dumps(summary, indent=2) + "\n")
    return out


def convert_dataset(name: str, root: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                    progress: bool = True, **options: Any) -> AdapterResult:
    """Read dataset ``name`` at ``root`` and write it as a cohort folder at ``out_dir``."""
    result = load_adapter(name).read(Path(root), work_dir=Path(out_dir), progress=progress,
                                     **options)
    write_result(result, out_dir)
    return result
