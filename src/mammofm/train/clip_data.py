"""CLIP pretraining data: one item per breast = its views (CC, MLO) + its text.

Records come from a manifest (one row per image) and the reports (per-breast text cut from the
report, see ``text``); breasts without a report but with labels get text from their labels
(``label_text``). Items are deterministic by (seed, epoch, index) whatever worker reads them:
the sampler hands the dataset (epoch, index) keys, so no epoch state has to reach workers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset, Sampler

from mammofm.common.seed import derive_seed, rng

from .config import TrainConfigError
from .label_text import labels_to_text
from .positives import NO_KEY
from .text import augment_sentences, split_report_by_side

LABEL_KEYS = ("composition", "composition_class", "mass", "calcification", "asymmetry",
              "architectural_distortion", "birads", "birads_class")


@dataclass(frozen=True)
class BreastRecord:
    study_id: str
    laterality: str
    image_paths: tuple[str | None, ...]  # one per view in the dataset's view order
    text: str
    source: str                          # "report" or "labels"


def split_names(split: str) -> list[str]:
    """The split names of a ``train_split`` value ("train" or "train,val")."""
    names = [n.strip() for n in split.split(",") if n.strip()]
    if not names:
        raise TrainConfigError(f"train_split {split!r} names no split (e.g. 'train' or "
                               "'train,val')")
    return names


def breast_records(manifest: pd.DataFrame, reports: Mapping[str, str] | None = None,
                   views: Sequence[str] = ("CC", "MLO"), split: str | None = "train",
                   seed: int = 0, use_labels: bool = True) -> tuple[list[BreastRecord], list[str]]:
    """(records, skipped): one record per breast with >= 1 usable view and non-empty text;
    ``skipped`` says why each other breast was left out. ``split`` may name several splits,
    comma-separated ("train,val"); None takes every row."""
    df = manifest
    if split is not None and "split" in df.columns:
        df = df[df["split"].astype(str).isin(split_names(split))]
    if "status" in df.columns:
        df = df[df["status"].fillna("ok").astype(str) == "ok"]
    df = df[df["image_path"].notna() & (df["image_path"].astype(str) != "")]
    reports = reports or {}
    per_report: dict[str, dict[str, str]] = {}
    records, skipped = [], []
    for (study, lat), g in df.sort_values("image_id").groupby(["study_id", "laterality"],
                                                                sort=True):
        study, lat = str(study), str(lat)
        paths = []
        for v in views:
            rows = g[g["view"].astype(str) == v]
            paths.append(str(rows["image_path"].iloc[0]) if len(rows) else None)
        if not any(paths):
            skipped.append(f"{study}/{lat}: none of the views {', '.join(views)}")
            continue
        if study in reports:
            if study not in per_report:
                per_report[study] = split_report_by_side(reports[study])
            text, source = per_report[study].get(lat, ""), "report"
        elif use_labels and any(k in g.columns for k in LABEL_KEYS):
            row = g.iloc[0]
            labels = {k: row[k] for k in LABEL_KEYS if k in g.columns}
            text, source = labels_to_text(labels, lat, seed=seed, study_id=study), "labels"
        else:
            text, source = "", "none"
        if not text.strip():
            skipped.append(f"{study}/{lat}: no text (no report and no known labels)")
            continue
        records.append(BreastRecord(study, lat, tuple(paths), text, source))
    return records, skipped


class ClipBreastDataset(Dataset):
    """Item: ``images`` (V, 1, H, W) float [0, 1], ``view_present`` (V,) bool, ``text`` and
    ``text_2`` (two sentence-augmented versions), ``group`` (int: the breast's index) and
    ``label_key`` (int: the id of what its text states, ``positives.NO_KEY`` when unknown).
    Indexed by an int or by an (epoch, index) key from ``EpochSampler``."""

    def __init__(self, records: Sequence[BreastRecord], image_size: tuple[int, int], *,
                 augment: bool = True, augment_strength: float = 1.0, seed: int = 0,
                 text_drop_prob: float = 0.2, text_shuffle: bool = True,
                 label_keys: Sequence[int] | None = None) -> None:
        from mammofm.data import transforms as T

        self.records = list(records)
        if label_keys is not None and len(label_keys) != len(self.records):
            raise ValueError(f"{len(label_keys)} label keys for {len(self.records)} records")
        self.label_keys = ([int(k) for k in label_keys] if label_keys is not None
                           else [NO_KEY] * len(self.records))
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.seed = int(seed)
        self.augment = augment
        self.text_drop_prob, self.text_shuffle = float(text_drop_prob), bool(text_shuffle)
        self._resize = T.Resize(self.image_size)
        self._aug = T.default_augment(derive_seed(seed, "image-aug"), augment_strength) \
            if augment else None

    def __len__(self) -> int:
        return len(self.records)

    def _image(self, path: str | None, key: tuple[Any, ...]) -> tuple[torch.Tensor, bool]:
        from mammofm.data import read_image

        if path is None:
            return torch.zeros(1, *self.image_size), False
        sample = {"image": read_image(path)}
        if sample["image"].shape != self.image_size:
            sample = self._resize(sample)
        if self._aug is not None:
            sample = self._aug(sample, key=key)
        img = torch.from_numpy(np.ascontiguousarray(sample["image"], dtype=np.float32))
        return img.unsqueeze(0), True

    def __getitem__(self, key: int | tuple[int, int]) -> dict[str, Any]:
        epoch, index = (0, int(key)) if isinstance(key, (int, np.integer)) else map(int, key)
        rec = self.records[index]
        imgs, present = zip(*(self._image(p, (epoch, index, v))
                              for v, p in enumerate(rec.image_paths)))
        if self.augment:
            texts = [augment_sentences(rec.text, rng(self.seed, "text", epoch, index, k),
                                       self.text_drop_prob, self.text_shuffle) for k in (0, 1)]
        else:
            texts = [rec.text, rec.text]
        return {"images": torch.stack(imgs), "view_present": torch.tensor(present),
                "text": texts[0], "text_2": texts[1], "group": index,
                "label_key": self.label_keys[index]}


class EpochSampler(Sampler):
    """Seeded per-epoch shuffle, sharded over ranks like DistributedSampler (padded by
    repeating indices), yielding (epoch, index) keys. Lightning calls ``set_epoch``."""

    def __init__(self, n: int, seed: int = 0, shuffle: bool = True, rank: int = 0,
                 world_size: int = 1) -> None:
        self.n, self.seed, self.shuffle = int(n), int(seed), bool(shuffle)
        self.rank, self.world_size = int(rank), int(world_size)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return math.ceil(self.n / self.world_size)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        order = rng(self.seed, "order", self.epoch).permutation(self.n) if self.shuffle \
            else np.arange(self.n)
        total = len(self) * self.world_size
        order = np.concatenate([order, order[: total - self.n]]) if total > self.n else order
        for i in order[self.rank:total:self.world_size]:
            yield self.epoch, int(i)
