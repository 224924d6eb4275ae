"""Frozen image features of a dataset: the input of linear probes, retrieval and audits.

``extract_features`` runs an image encoder (an ``ImageEncoder``, a ``MammoCLIP`` or any module
mapping (B, C, H, W) -> (B, D)) over a dataset in eval mode without gradients and returns the
vectors together with the identifying columns of every image, so scores can be aggregated per
breast and labels joined back without guessing the order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from .progress import progress_bar

#: identifying fields copied from each dataset item into ``Features.frame``
ID_FIELDS: tuple[str, ...] = ("image_id", "study_id", "patient_id", "laterality", "view")

FeatureKind = Literal["pooled", "embedding"]


@dataclass
class Features:
    """Feature vectors ``X`` (N, D) and one row of ids (+ labels) per vector in ``frame``."""

    X: np.ndarray
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        if len(self.frame) != len(self.X):
            raise ValueError(f"{len(self.X)} vectors but {len(self.frame)} rows of ids")

    def __len__(self) -> int:
        return len(self.X)

    @property
    def ids(self) -> list[str]:
        return [str(v) for v in self.frame["image_id"]]

    def labels(self, name: str) -> np.ndarray:
        """One label column as float (NaN = unknown)."""
        if name not in self.frame.columns:
            raise KeyError(f"no label column {name!r}; have {', '.join(self.frame.columns)}")
        return pd.to_numeric(self.frame[name], errors="coerce").to_numpy(dtype=np.float64)

    def subset(self, mask: np.ndarray | Sequence[bool]) -> Features:
        m = np.asarray(mask, dtype=bool)
        return Features(self.X[m], self.frame[m].reset_index(drop=True))

    def split(self, name: str) -> Features:
        """The rows whose ``split`` column equals ``name`` (train / val / test)."""
        return self.subset((self.frame["split"] == name).to_numpy())


def _image_collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack images; keep ids and per-item labels as lists (boxes are not needed here)."""
    out: dict[str, Any] = {"image": torch.stack([it["image"] for it in items])}
    for key in ID_FIELDS:
        out[key] = [it.get(key) for it in items]
    out["labels"] = [
        {k: float(v) for k, v in (it.get("labels") or {}).items()} for it in items
    ]
    return out


def _as_dataset(data: Dataset | pd.DataFrame, label_columns: Sequence[str] | None,
                in_chans: int) -> Dataset:
    if isinstance(data, pd.DataFrame):
        from mammofm.data import MammoImageDataset  # lower layer; loaded only when needed

        return MammoImageDataset(data, label_columns=list(label_columns) if label_columns
                                 else None, in_chans=in_chans)
    return data


def encoder_forward(model: nn.Module, kind: FeatureKind = "pooled"
                    ) -> tuple[nn.Module, Any]:
    """(module to put in eval mode, function images -> (B, D)) for any supported model.

    ``pooled``: the image tower's pooled features (``model.visual(x)`` for a CLIP model);
    ``embedding``: the L2-normalised joint-space embedding (``model.encode_image``).
    """
    if kind == "embedding":
        if not hasattr(model, "encode_image"):
            raise TypeError(f"{type(model).__name__} has no encode_image; use kind='pooled'")
        return model, lambda x: model.encode_image(x, normalize=True)
    if kind != "pooled":
        raise ValueError(f"unknown feature kind {kind!r} (pooled or embedding)")
    tower = getattr(model, "visual", model)
    return tower, tower


def _in_chans(model: nn.Module) -> int:
    return int(getattr(getattr(model, "visual", model), "in_chans", 1))


def iterate_batches(data: Dataset, batch_size: int, num_workers: int = 0
                    ) -> Iterator[dict[str, Any]]:
    loader = DataLoader(data, batch_size=batch_size, shuffle=False, num_workers=num_workers,
                        collate_fn=_image_collate)
    yield from loader


@torch.no_grad()
def extract_features(
    model: nn.Module,
    data: Dataset | pd.DataFrame,
    *,
    kind: FeatureKind = "pooled",
    batch_size: int = 16,
    device: str | torch.device = "cpu",
    num_workers: int = 0,
    label_columns: Sequence[str] | None = None,
    progress: bool = True,
    description: str = "features",
) -> Features:
    """Run a frozen encoder over ``data`` (a torch Dataset of image items or a manifest).

    Items are dicts with ``image`` (C, H, W) float in [0, 1] and the id fields; their
    ``labels`` dict (if any) becomes label columns of ``Features.frame``. A manifest DataFrame
    is read through ``mammofm.data.MammoImageDataset`` (its ``split`` and label columns are
    carried over by ``image_id``).
    """
    module, fwd = encoder_forward(model, kind)
    dataset = _as_dataset(data, label_columns, _in_chans(model))
    was_training = module.training
    module.eval()
    device = torch.device(device)
    chunks: list[np.ndarray] = []
    rows: list[dict[str, Any]] = []
    try:
        n = len(dataset)  # type: ignore[arg-type]
        with progress_bar(description, total=n, enabled=progress) as advance:
            for batch in iterate_batches(dataset, batch_size, num_workers):
                x = batch["image"].to(device)
                chunks.append(fwd(x).float().cpu().numpy())
                for i in range(len(x)):
                    row = {k: batch[k][i] for k in ID_FIELDS}
                    row.update(batch["labels"][i])
                    rows.append(row)
                advance(len(x))
    finally:
        module.train(was_training)
    X = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros((0, 0), np.float32)
    frame = pd.DataFrame(rows, columns=list(dict.fromkeys([*ID_FIELDS, *(
        k for r in rows for k in r)])))
    if isinstance(data, pd.DataFrame):
        frame = _join_manifest(frame, data, label_columns)
    return Features(X, frame)


def _join_manifest(frame: pd.DataFrame, manifest: pd.DataFrame,
                   label_columns: Sequence[str] | None) -> pd.DataFrame:
    """Carry ``split`` (and label columns the items lacked) over from the manifest by image_id."""
    extra = [c for c in ("split", *(label_columns or ())) if c in manifest.columns
             and c not in frame.columns]
    if not extra:
        return frame
    side = manifest.drop_duplicates("image_id").set_index("image_id")[extra]
    joined = frame.join(side, on="image_id")
    return joined.reset_index(drop=True)
