"""Preprocess a converted public dataset (``adapters.convert_dataset``) into a prepared cohort.

The images go through the real preprocessing (``mammofm.preprocess.run_preprocess``); then the
adapter's identity wins over the DICOM tags: public datasets key their labels by their own ids
(VinDr's hashes, RSNA's numbers, INbreast's file names, CBIS-DDSM's patients), while the DICOM
tags of some hold per-image artefacts (each CBIS-DDSM image is its own "study" and "patient").
Rows are matched by resolved ``source_path``. Labels are attached and annotations carried into
the preprocessed frame, giving the folder ``load_cohort`` reads: ``COHORT/prepared/<H>x<W>/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from mammofm.common.atomic import atomic_path
from mammofm.common.manifest import read_manifest, to_frame, write_manifest

from .annotations import map_annotations
from .cohort import CohortError, read_exams
from .labels import attach_labels

#: columns the adapter's manifest decides (when it has a value) over what preprocessing read
IDENTITY_COLUMNS: tuple[str, ...] = ("image_id", "patient_id", "study_id", "laterality", "view",
                                     "dataset", "split")


def _key(path: Any) -> str:
    return str(Path(str(path)).resolve()) if isinstance(path, str) and path else ""


def restore_source_identity(preprocessed: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """The preprocessed manifest with the source manifest's identity and extra columns.

    Matched by resolved ``source_path``. Identity columns take the source's value where it has
    one (the value read from DICOM, when different, is kept in ``<column>_dicom``); source
    columns preprocessing does not know (dataset columns, labels) are carried over. Source
    rows that were never preprocessed (no file) are appended with their own status and error.
    """
    src = source.copy()
    src["__key"] = [_key(p) for p in src["source_path"]]
    by_key = {k: r for k, r in zip(src["__key"], src.to_dict("records")) if k}
    rows, seen = [], set()
    for r in preprocessed.to_dict("records"):
        k = _key(r.get("source_path"))
        s = by_key.get(k)
        if s is not None:
            seen.add(k)
            for c in IDENTITY_COLUMNS:
                v = s.get(c)
                if v is None or (isinstance(v, float) and pd.isna(v)) or v == "":
                    continue
                if c in r and r[c] not in (None, "") and str(r[c]) != str(v) and \
                        c not in ("dataset", "split"):
                    r[f"{c}_dicom"] = r[c]
                r[c] = v
            for c, v in s.items():
                if c not in r and c != "__key":
                    r[c] = v
        rows.append(r)
    for k, s in by_key.items():
        if k not in seen and s.get("status") != "ok":
            rows.append({c: v for c, v in s.items() if c != "__key"})
    for s in src.to_dict("records"):
        if not s["__key"]:
            rows.append({c: v for c, v in s.items() if c != "__key"})
    return to_frame(rows)


def prepare_dataset(cohort_dir: str | os.PathLike[str], size: tuple[int, int] = (256, 160),
                    workers: int = 1, progress: bool = True, config: Any = None) -> Path:
    """Preprocess ``cohort_dir`` (an adapter's output) into ``cohort_dir/prepared/<H>x<W>/``.

    ``config``: a ``mammofm.preprocess.PreprocessConfig`` (its size is replaced by ``size``).
    Resumable: the preprocessing reuses finished images; every table is written atomically.
    """
    from dataclasses import replace

    from mammofm.preprocess import PreprocessConfig, run_preprocess

    cohort = Path(cohort_dir)
    mpath, epath = cohort / "manifest.parquet", cohort / "exams.jsonl"
    if not epath.is_file():
        raise CohortError(f"{epath}: exams not found")
    source = read_manifest(mpath, required=("image_id", "source_path", "study_id",
                                            "laterality"))
    out = cohort / "prepared" / f"{int(size[0])}x{int(size[1])}"
    cfg = replace(config or PreprocessConfig(), size=(int(size[0]), int(size[1])))
    files = [p for p, st in zip(source["source_path"], source["status"].fillna("ok"))
             if isinstance(p, str) and p and st == "ok"]
    pre = run_preprocess(files, out, config=cfg, workers=workers, progress=progress)
    manifest = attach_labels(restore_source_identity(pre, source), read_exams(epath))
    write_manifest(manifest, out / "manifest.parquet")
    apath = cohort / "annotations.parquet"
    if apath.is_file():
        ann = pd.read_parquet(apath)
        ann["mask_path"] = [str(cohort / p) if isinstance(p, str) and p and
                            not Path(p).is_absolute() else p for p in ann["mask_path"]]
        mapped = map_annotations(ann, manifest, out_dir=out, out_size=cfg.size)
        with atomic_path(out / "annotations.parquet") as tmp:
            mapped.to_parquet(tmp, index=False)
    return out
