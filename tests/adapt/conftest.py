"""Stand-ins that follow docs/CONTRACTS.md, so adapt is tested without the real model zoo:
a tiny CLIP-shaped model and a dataset of blob images ("masses") with boxes, split by patient."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import Dataset


class TinyTower(nn.Module):
    """ImageEncoder contract: forward -> pooled (B, D); forward_features -> maps, coarsest last."""

    def __init__(self, in_chans: int = 1, width: int = 16, image_size=(64, 40)) -> None:
        super().__init__()
        self.in_chans = in_chans
        self.image_size = image_size
        self.num_features = 2 * width
        self.stem = nn.Sequential(nn.Conv2d(in_chans, width, 3, 2, 1), nn.ReLU())
        self.stage = nn.Sequential(nn.Conv2d(width, 2 * width, 3, 2, 1), nn.ReLU())
        self.feature_info = [{"num_chs": width, "reduction": 2},
                             {"num_chs": 2 * width, "reduction": 4}]

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        a = self.stem(x)
        return [a, self.stage(a)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[-1].mean(dim=(2, 3))


class HashText(nn.Module):
    """TextEncoder contract: list[str] -> (B, D); a bag of hashed words, learnable table."""

    def __init__(self, dim: int = 24, buckets: int = 257) -> None:
        super().__init__()
        self.buckets = buckets
        self.table = nn.EmbeddingBag(buckets, dim, mode="mean")

    def forward(self, texts: list[str]) -> torch.Tensor:
        ids, offsets = [], []
        for t in texts:
            offsets.append(len(ids))
            ids += [zlib.crc32(w.encode()) % self.buckets for w in t.lower().split()] or [0]
        return self.table(torch.tensor(ids), torch.tensor(offsets))


class TinyCLIP(nn.Module):
    def __init__(self, embed_dim: int = 8) -> None:
        super().__init__()
        self.visual = TinyTower()
        self.text = HashText()
        self.image_projection = nn.Linear(self.visual.num_features, embed_dim, bias=False)
        self.text_proj = nn.Linear(24, embed_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(float(np.log(10.0))))

    def encode_image(self, x: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        z = self.image_projection(self.visual(x))
        return nn.functional.normalize(z, dim=-1) if normalize else z

    def encode_text(self, texts: list[str], normalize: bool = True) -> torch.Tensor:
        z = self.text_proj(self.text(texts))
        return nn.functional.normalize(z, dim=-1) if normalize else z


class BlobDataset(Dataset):
    """Noisy 'breasts' (64x40); label mass=1 puts a bright disc whose box is returned.

    Two views (CC, MLO) per breast, two breasts per study, one study per patient; patients
    0..n_train-1 are 'train', the rest 'test'.
    """

    def __init__(self, n_patients: int = 40, n_train: int = 24, seed: int = 0,
                 size=(64, 40)) -> None:
        rng = np.random.default_rng(seed)
        self.size = size
        self.items = []
        for p in range(n_patients):
            for lat in "LR":
                mass = int(rng.random() < 0.5)
                comp = int(rng.integers(0, 4))
                cx, cy = rng.uniform(10, size[1] - 10), rng.uniform(10, size[0] - 10)
                for view in ("CC", "MLO"):
                    self.items.append(dict(
                        image_id=f"img-{p}-{lat}-{view}", study_id=f"st-{p}",
                        patient_id=f"pt-{p}", laterality=lat, view=view,
                        split="train" if p < n_train else "test", mass=mass,
                        composition_class=comp, centre=(cx, cy),
                        seed=int(rng.integers(0, 2**31))))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        it = self.items[i]
        h, w = self.size
        rng = np.random.default_rng(it["seed"])
        img = 0.2 + 0.1 * it["composition_class"] + rng.normal(0, 0.05, (h, w))
        boxes = np.zeros((0, 4), np.float32)
        if it["mass"]:
            cx, cy = it["centre"]
            yy, xx = np.mgrid[0:h, 0:w] + 0.5
            img[(xx - cx) ** 2 + (yy - cy) ** 2 <= 25] = 0.95
            boxes = np.array([[cx - 5, cy - 5, cx + 5, cy + 5]], np.float32)
        return {
            "image": torch.from_numpy(np.clip(img, 0, 1).astype(np.float32))[None],
            "image_id": it["image_id"], "study_id": it["study_id"],
            "patient_id": it["patient_id"], "laterality": it["laterality"], "view": it["view"],
            "labels": {"mass": torch.tensor(float(it["mass"])),
                       "composition_class": torch.tensor(float(it["composition_class"]))},
            "boxes": torch.from_numpy(boxes),
        }

    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.items)


@pytest.fixture(scope="session")
def blob_data() -> BlobDataset:
    return BlobDataset()


@pytest.fixture()
def tiny_clip() -> TinyCLIP:
    torch.manual_seed(0)
    return TinyCLIP()


@pytest.fixture()
def make_tower():
    """A factory of fresh stand-in towers (seeded)."""

    def make(seed: int = 0) -> TinyTower:
        torch.manual_seed(seed)
        return TinyTower()
    return make
