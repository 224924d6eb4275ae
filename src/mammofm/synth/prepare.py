"""Running the real preprocessing on a synthetic cohort (the generator is its client).

``prepare_cohort(cohort, size)`` -> ``cohort/prepared/<H>x<W>/`` with the preprocessed
images and manifest (split + labels merged in with ``mammofm.data.attach_labels``) and the
annotations and masks carried into the preprocessed frame (``mammofm.data.map_annotations``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from mammofm.common.atomic import atomic_path, atomic_write_text
from mammofm.common.manifest import read_manifest, write_manifest


def prepared_dir(cohort_dir: str | os.PathLike[str], size: tuple[int, int]) -> Path:
    return Path(cohort_dir) / "prepared" / f"{int(size[0])}x{int(size[1])}"


def _run_preprocess(sources: list[str], out: Path, size: tuple[int, int], workers: int,
                    dataset: str) -> pd.DataFrame:
    from mammofm.preprocess import PreprocessConfig, run_preprocess

    cfg = PreprocessConfig(size=size, workers=workers, dataset=dataset)
    return run_preprocess(sources, out, cfg, workers=workers, progress=False)


def prepare_cohort(cohort_dir: str | os.PathLike[str], size: tuple[int, int] = (256, 160),
                   workers: int = 1) -> Path:
    """Preprocess ``cohort_dir`` into ``cohort_dir/prepared/<H>x<W>/`` and return that folder."""
    from mammofm.data import attach_labels, map_annotations
    from mammofm.data.cohort import read_exams

    cohort = Path(cohort_dir)
    src = read_manifest(cohort / "manifest.parquet")
    src = src[src["status"].fillna("ok") == "ok"]
    out = prepared_dir(cohort, size)
    out.mkdir(parents=True, exist_ok=True)
    sources = [str((cohort / p).resolve()) for p in src["source_path"]]
    dataset = str(src["dataset"].iloc[0]) if len(src) else "synth"
    man = _run_preprocess(sources, out, (int(size[0]), int(size[1])), workers, dataset)
    # carry the cohort's own columns (split, site, ...) onto the preprocessed rows
    keep = [c for c in src.columns if c not in man.columns or c in ("split", "dataset")]
    extra = src[["image_id"] + [c for c in keep if c != "image_id"]]
    man = man.drop(columns=[c for c in ("split", "dataset") if c in man.columns])
    man = man.merge(extra, on="image_id", how="left")
    exams = read_exams(cohort / "exams.jsonl")
    man = attach_labels(man, exams)
    write_manifest(man, out / "manifest.parquet")
    ann = pd.read_parquet(cohort / "annotations.parquet")
    ann_abs = ann.copy()
    ann_abs["mask_path"] = [str(cohort / p) if p else "" for p in ann["mask_path"]]
    mapped = map_annotations(ann_abs, man, out_dir=out, out_size=tuple(size))
    extra_cols = [c for c in ann.columns if c not in mapped.columns]
    if extra_cols:
        mapped = mapped.merge(ann[["image_id", "finding_index"] + extra_cols],
                              on=["image_id", "finding_index"], how="left")
    with atomic_path(out / "annotations.parquet") as tmp:
        mapped.to_parquet(tmp, index=False)
    for name in ("exams.jsonl", "reports.jsonl"):
        if (cohort / name).exists():
            atomic_write_text(out / name, (cohort / name).read_text(encoding="utf-8"))
    atomic_write_text(out / "prepared.json", json.dumps(
        {"cohort": str(cohort.resolve()), "size": list(size)}, indent=2) + "\n")
    return out
