"""Export image and text embeddings for retrieval and bias discovery.

Image embeddings: one row per image (ids + vector); text embeddings: one row per text (e.g.
one report per study). Two formats: Parquet (ids and a fixed-size list column ``embedding``
in one file) or NumPy (``<name>.npy`` matrix + ``<name>.ids.csv``, row-aligned). Every file is
written atomically, so an interrupted export leaves either the old file or the new one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch import nn
from torch.utils.data import Dataset

from mammofm.common.atomic import atomic_open, atomic_path

from .features import FeatureKind, ID_FIELDS, extract_features
from .progress import progress_bar

Format = Literal["parquet", "npy"]
FORMATS: tuple[str, ...] = ("parquet", "npy")


class EmbeddingFileError(ValueError):
    """An embedding file that cannot be read back, naming the file and the cause."""


def write_embeddings(frame: pd.DataFrame, X: np.ndarray, path: str | os.PathLike[str],
                     fmt: Format = "parquet") -> list[Path]:
    """Write ids (``frame``) + vectors ``X`` (N, D) atomically; returns the files written.

    ``path`` is the Parquet file, or for ``npy`` the stem of ``<stem>.npy`` + ``<stem>.ids.csv``.
    """
    X = np.ascontiguousarray(X, dtype=np.float32)
    if len(frame) != len(X):
        raise ValueError(f"{len(frame)} id rows but {len(X)} vectors")
    path = Path(path)
    if fmt == "parquet":
        table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
        flat = pa.array(X.reshape(-1), type=pa.float32())
        vec = pa.FixedSizeListArray.from_arrays(flat, X.shape[1] if X.ndim == 2 else 0)
        table = table.append_column("embedding", vec)
        out = path if path.suffix == ".parquet" else path.with_suffix(".parquet")
        with atomic_path(out) as tmp:
            pq.write_table(table, tmp)
        return [out]
    if fmt == "npy":
        stem = path.with_suffix("") if path.suffix in (".npy", ".parquet") else path
        npy, ids = stem.with_name(stem.name + ".npy"), stem.with_name(stem.name + ".ids.csv")
        with atomic_open(ids, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False)
        with atomic_open(npy, "wb") as fh:
            np.save(fh, X)
        return [npy, ids]
    raise ValueError(f"unknown embedding format {fmt!r}; known: {', '.join(FORMATS)}")


def read_embeddings(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """(ids frame, (N, D) float32) from a file written by ``write_embeddings``."""
    path = Path(path)
    try:
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            vec = table.column("embedding").combine_chunks()
            d = vec.type.list_size
            X = vec.flatten().to_numpy(zero_copy_only=False).reshape(-1, d)
            frame = table.drop_columns(["embedding"]).to_pandas()
            return frame, X.astype(np.float32)
        stem = path.with_suffix("") if path.suffix == ".npy" else path
        X = np.load(stem.with_name(stem.name + ".npy"), allow_pickle=False)
        frame = pd.read_csv(stem.with_name(stem.name + ".ids.csv"), dtype=str,
                            keep_default_na=False)
    except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
        raise EmbeddingFileError(f"{path}: cannot read embeddings ({type(exc).__name__}: "
                                 f"{exc})") from exc
    if len(frame) != len(X):
        raise EmbeddingFileError(f"{path}: {len(frame)} ids but {len(X)} vectors")
    return frame, X


@torch.no_grad()
def embed_texts(model: nn.Module, texts: Sequence[str], *, batch_size: int = 32,
                progress: bool = True) -> np.ndarray:
    """(N, E) L2-normalised text embeddings, with a progress bar."""
    was_training = model.training
    model.eval()
    out: list[np.ndarray] = []
    try:
        with progress_bar("text embeddings", total=len(texts), enabled=progress) as advance:
            for i in range(0, len(texts), batch_size):
                chunk = list(texts[i:i + batch_size])
                out.append(model.encode_text(chunk, normalize=True).float().cpu().numpy())
                advance(len(chunk))
    finally:
        model.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def embed_manifest(model: nn.Module, data: Dataset | pd.DataFrame, out_dir: str | os.PathLike[str],
                   *, texts: Mapping[str, str] | None = None, fmt: Format = "parquet",
                   kind: FeatureKind = "embedding", batch_size: int = 16,
                   device: str | torch.device = "cpu", progress: bool = True) -> dict[str, list[Path]]:
    """Write ``image_embeddings`` (and ``text_embeddings`` of ``texts`` {id: text}, e.g.
    {study_id: report}) under ``out_dir``; returns {"images": files, "texts": files}."""
    out = Path(out_dir)
    feats = extract_features(model, data, kind=kind, batch_size=batch_size, device=device,
                             progress=progress, description="image embeddings")
    frame = feats.frame[[c for c in (*ID_FIELDS, "split") if c in feats.frame.columns]]
    frame = frame.astype(str)
    written = {"images": write_embeddings(frame, feats.X, out / "image_embeddings.parquet"
                                          if fmt == "parquet" else out / "image_embeddings", fmt)}
    if texts:
        keys = list(texts)
        T = embed_texts(model, [texts[k] for k in keys], batch_size=batch_size,
                        progress=progress)
        tframe = pd.DataFrame({"study_id": [str(k) for k in keys],
                               "text": [texts[k] for k in keys]})
        written["texts"] = write_embeddings(tframe, T, out / "text_embeddings.parquet"
                                            if fmt == "parquet" else out / "text_embeddings", fmt)
    return written
