"""Torch datasets over a manifest: single images and four-view exams.

Images are read from ``image_path`` (absolute, or relative to ``root``), as float32 in [0, 1].
Labels come from the manifest's label columns (see ``attach_labels``); NaN means unknown.
Boxes and masks come from an annotation table in the same (preprocessed) frame; only kinds in
``BOX_CLASSES`` get boxes. Rows whose ``status`` is "failed" are left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from .boxes import box_class_index
from .images import read_image, read_mask
from .labels import LABEL_COLUMNS

#: order of the views in a four-view item
FOUR_VIEWS: tuple[tuple[str, str], ...] = (("L", "CC"), ("L", "MLO"), ("R", "CC"), ("R", "MLO"))
BREASTS: tuple[str, ...] = ("L", "R")

Transform = Callable[..., dict[str, Any]]


def _usable(manifest: pd.DataFrame) -> pd.DataFrame:
    df = manifest
    if "status" in df.columns:
        df = df[df["status"].fillna("ok").astype(str) != "failed"]
    if "image_path" in df.columns:
        df = df[df["image_path"].notna() & (df["image_path"].astype(str) != "")]
    return df.reset_index(drop=True)


def label_value(v: Any) -> float:
    """A label cell as float; None, NA and "" are unknown (NaN), never 0."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return float("nan")
    try:
        return float("nan") if pd.isna(v) else float(v)
    except (TypeError, ValueError):
        raise ValueError(f"label value {v!r} is not a number") from None


def _default_labels(manifest: pd.DataFrame) -> list[str]:
    return [c for c in LABEL_COLUMNS if c in manifest.columns]


def _resolve(path: str, root: Path | None) -> Path:
    p = Path(path)
    return p if p.is_absolute() or root is None else root / p


class _ImageSource:
    """Shared reading of one manifest row: image, boxes, mask, labels."""

    def __init__(self, annotations: pd.DataFrame | None, label_columns: Sequence[str],
                 in_chans: int, root: str | os.PathLike[str] | None,
                 transform: Transform | None) -> None:
        self.root = Path(root) if root is not None else None
        self.label_columns = list(label_columns)
        self.in_chans = int(in_chans)
        self.transform = transform
        self.epoch = 0
        # image_id -> (boxes (N, 4), box class indices (N,), mask paths): plain arrays, built
        # once, so an item costs two PNG reads and no pandas indexing
        self._ann: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}
        if annotations is not None and len(annotations):
            ann = annotations
            if {"x0", "y0", "x1", "y1"} <= set(ann.columns):
                ann = ann[ann[["x0", "y0", "x1", "y1"]].notna().all(axis=1)]
            ann = ann[[box_class_index(k) is not None for k in ann["kind"].astype(str)]]
            for k, g in ann.groupby(ann["image_id"].astype(str)):
                masks = [m for m in g["mask_path"] if isinstance(m, str) and m] \
                    if "mask_path" in g.columns else []
                self._ann[str(k)] = (
                    g[["x0", "y0", "x1", "y1"]].to_numpy(np.float32, copy=True),
                    np.array([box_class_index(x) for x in g["kind"].astype(str)], np.int64),
                    masks)

    def targets(self, image_id: str, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray,
                                                                      np.ndarray]:
        got = self._ann.get(str(image_id))
        mask = np.zeros(size, dtype=bool)
        if got is None:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.int64), mask
        boxes, labels, mask_paths = got
        for mp in mask_paths:
            m = read_mask(_resolve(mp, self.root))
            if m.shape != size:
                raise ValueError(f"{mp}: mask is {m.shape[0]}x{m.shape[1]} but its image "
                                 f"is {size[0]}x{size[1]}")
            mask |= m
        return boxes.copy(), labels.copy(), mask

    def labels(self, row: dict[str, Any]) -> dict[str, torch.Tensor]:
        out = {}
        for c in self.label_columns:
            out[c] = torch.tensor(label_value(row.get(c)), dtype=torch.float32)
        return out

    def load(self, row: dict[str, Any], key: Any) -> dict[str, Any]:
        image = read_image(_resolve(str(row["image_path"]), self.root))
        boxes, box_labels, mask = self.targets(str(row["image_id"]), image.shape)
        sample = {"image": image, "mask": mask, "boxes": boxes, "box_labels": box_labels}
        if self.transform is not None:
            sample = self.transform(sample, key=(self.epoch, key)) if _keyed(self.transform) \
                else self.transform(sample)
        img = torch.from_numpy(np.ascontiguousarray(sample["image"], dtype=np.float32))
        if img.ndim == 2:
            img = img.unsqueeze(0)
        if img.shape[0] != self.in_chans:
            img = img[:1].expand(self.in_chans, -1, -1).contiguous()
        m = torch.from_numpy(np.ascontiguousarray(sample["mask"]).astype(np.float32))
        return {
            "image": img,
            "mask": m.unsqueeze(0) if m.ndim == 2 else m,
            "boxes": torch.from_numpy(np.array(sample["boxes"], np.float32).reshape(-1, 4)),
            "box_labels": torch.from_numpy(np.array(sample["box_labels"], np.int64).reshape(-1)),
        }


def _keyed(transform: Any) -> bool:
    from . import transforms as T

    return isinstance(transform, (T.RandomTransform, T.Compose, T.Resize))


class MammoImageDataset(Dataset):
    """One item per image: image (C, H, W), ids, labels {name: scalar}, boxes, box_labels, mask.

    ``transform`` takes and returns a sample dict (see ``mammofm.data.transforms``); seeded
    transforms get the key (epoch, index), so an item is the same whatever worker reads it.
    Call ``set_epoch`` to draw new augmentations each epoch (before the DataLoader iterator is
    made: persistent workers keep the epoch they were started with).
    """

    def __init__(self, manifest: pd.DataFrame, annotations: pd.DataFrame | None = None,
                 transform: Transform | None = None, label_columns: Sequence[str] | None = None,
                 in_chans: int = 1, root: str | os.PathLike[str] | None = None) -> None:
        self.manifest = _usable(manifest)
        cols = _default_labels(self.manifest) if label_columns is None else label_columns
        self._src = _ImageSource(annotations, cols, in_chans, root, transform)
        self._rows: list[dict[str, Any]] = self.manifest.to_dict("records")

    @property
    def label_columns(self) -> list[str]:
        return self._src.label_columns

    def set_epoch(self, epoch: int) -> None:
        self._src.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.manifest)

    def __getitem__(self, index: int) -> dict[str, Any]:
        row = self._rows[index]
        item = self._src.load(row, key=int(index))
        item.update({k: str(row.get(k, "")) for k in
                     ("image_id", "study_id", "patient_id", "laterality", "view")})
        item["labels"] = self._src.labels(row)
        return item


class FourViewExamDataset(Dataset):
    """One item per exam (study_id): images (4, C, H, W) in L-CC, L-MLO, R-CC, R-MLO order.

    A missing view is an all-zero image with ``view_present`` False (never an error); when a
    view has several images the first by image_id is used. ``labels`` {name: (2,)} per breast
    (L, R); ``boxes`` / ``box_labels`` are lists of 4; ``masks`` (4, 1, H, W). Exams with none
    of the four views are left out. ``image_size`` (H, W) is only needed if images differ.
    """

    def __init__(self, manifest: pd.DataFrame, annotations: pd.DataFrame | None = None,
                 transform: Transform | None = None, label_columns: Sequence[str] | None = None,
                 in_chans: int = 1, root: str | os.PathLike[str] | None = None,
                 image_size: tuple[int, int] | None = None) -> None:
        df = _usable(manifest)
        df = df.assign(_view=df["view"].astype(str).str.upper(),
                       _lat=df["laterality"].astype(str).str.upper())
        df = df[[(lat, v) in FOUR_VIEWS for lat, v in zip(df["_lat"], df["_view"])]]
        df = df.sort_values(["study_id", "image_id"], kind="stable")
        self.manifest = df.reset_index(drop=True)
        self.studies: list[str] = sorted(self.manifest["study_id"].astype(str).unique())
        # study -> {(lat, view): first row}, study -> {lat: first row} (for breast labels)
        self._views: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._breasts: dict[str, dict[str, dict[str, Any]]] = {}
        for r in self.manifest.to_dict("records"):
            sid = str(r["study_id"])
            self._views.setdefault(sid, {}).setdefault((r["_lat"], r["_view"]), r)
            self._breasts.setdefault(sid, {}).setdefault(r["_lat"], r)
        cols = _default_labels(self.manifest) if label_columns is None else label_columns
        self._src = _ImageSource(annotations, cols, in_chans, root, transform)
        self.image_size = tuple(image_size) if image_size is not None else None

    @property
    def label_columns(self) -> list[str]:
        return self._src.label_columns

    def set_epoch(self, epoch: int) -> None:
        self._src.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.studies)

    def __getitem__(self, index: int) -> dict[str, Any]:
        study = self.studies[index]
        views: list[dict[str, Any] | None] = []
        rows: list[dict[str, Any] | None] = []
        for vi, (lat, view) in enumerate(FOUR_VIEWS):
            row = self._views[study].get((lat, view))
            if row is not None:
                rows.append(row)
                views.append(self._src.load(row, key=(int(index), vi)))
            else:
                rows.append(None)
                views.append(None)
        first = next(v for v in views if v is not None)
        c = first["image"].shape[0]
        h, w = self.image_size or tuple(first["image"].shape[-2:])
        images = torch.zeros(4, c, h, w)
        masks = torch.zeros(4, 1, h, w)
        boxes, box_labels = [], []
        for vi, v in enumerate(views):
            if v is not None:
                if tuple(v["image"].shape[-2:]) != (h, w):
                    raise ValueError(f"study {study}: view {FOUR_VIEWS[vi]} is "
                                     f"{tuple(v['image'].shape[-2:])}, expected {(h, w)}")
                images[vi], masks[vi] = v["image"], v["mask"]
                boxes.append(v["boxes"])
                box_labels.append(v["box_labels"])
            else:
                boxes.append(torch.zeros(0, 4))
                box_labels.append(torch.zeros(0, dtype=torch.long))
        labels: dict[str, torch.Tensor] = {}
        for name in self.label_columns:
            vals = []
            for lat in BREASTS:
                r = self._breasts[study].get(lat)
                vals.append(label_value(None if r is None else r.get(name)))
            labels[name] = torch.tensor(vals, dtype=torch.float32)
        present = [r for r in rows if r is not None]
        return {
            "images": images,
            "view_present": torch.tensor([v is not None for v in views], dtype=torch.bool),
            "masks": masks,
            "boxes": boxes,
            "box_labels": box_labels,
            "labels": labels,
            "image_ids": [str(r["image_id"]) if r is not None else "" for r in rows],
            "study_id": study,
            "patient_id": str(present[0].get("patient_id", "")),
        }
