"""Full fine-tuning: the image tower plus a linear head, trained end to end with AdamW.

The counterpart of the linear probe: every weight of the tower moves. Starting from a freshly
initialised tower it is also the "trained from scratch" baseline of the data-efficiency claim.
Training is seeded (weights of the head, shuffling order), runs on CPU or GPU, and leaves the
encoder it was given untouched (it trains a copy).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from .features import _as_dataset, _image_collate, ID_FIELDS
from .progress import progress_bar


class TowerClassifier(nn.Module):
    """Image tower -> pooled (B, D) -> linear head (B, K) (K = 1 logit for a binary label)."""

    def __init__(self, tower: nn.Module, n_outputs: int) -> None:
        super().__init__()
        self.tower = tower
        self.head = nn.Linear(int(tower.num_features), n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.tower(x))


@dataclass
class FinetuneConfig:
    epochs: int = 3
    lr: float = 3e-4  # tower learning rate
    head_lr: float = 3e-3  # a new head learns faster than pretrained weights should move
    weight_decay: float = 1e-4
    batch_size: int = 16
    seed: int = 0
    num_workers: int = 0


@dataclass
class FinetuneResult:
    model: TowerClassifier
    label: str
    n_classes: int
    history: list[float] = field(default_factory=list)  # mean training loss per epoch

    @torch.no_grad()
    def predict(self, data: Dataset | pd.DataFrame, *, batch_size: int = 32,
                device: str | torch.device = "cpu", progress: bool = False
                ) -> tuple[pd.DataFrame, np.ndarray]:
        """(ids + labels per image, scores): (N,) P(1) when binary, else (N, K) softmax."""
        self.model.eval()
        dev = torch.device(device)
        self.model.to(dev)
        ds = _as_dataset(data, None, int(getattr(self.model.tower, "in_chans", 1)))
        rows: list[dict[str, Any]] = []
        out: list[np.ndarray] = []
        loader = DataLoader(ds, batch_size=batch_size, shuffle=False, collate_fn=_image_collate)
        with progress_bar("predict", total=len(ds), enabled=progress) as advance:  # type: ignore[arg-type]
            for batch in loader:
                logits = self.model(batch["image"].to(dev)).float()
                p = torch.sigmoid(logits[:, 0]) if self.n_classes == 2 else logits.softmax(-1)
                out.append(p.cpu().numpy())
                for i in range(len(batch["image"])):
                    rows.append({**{k: batch[k][i] for k in ID_FIELDS}, **batch["labels"][i]})
                advance(len(batch["image"]))
        return pd.DataFrame(rows), np.concatenate(out).astype(np.float64)


def _targets(batch: dict[str, Any], label: str) -> torch.Tensor:
    return torch.tensor([lab.get(label, float("nan")) for lab in batch["labels"]],
                        dtype=torch.float32)


def finetune(
    tower: nn.Module,
    train_data: Dataset | pd.DataFrame,
    label: str,
    *,
    n_classes: int = 2,
    config: FinetuneConfig | None = None,
    device: str | torch.device = "cpu",
    progress: bool = True,
    indices: np.ndarray | None = None,
) -> FinetuneResult:
    """Fine-tune a copy of ``tower`` (an ImageEncoder, or a CLIP model's ``.visual``) on
    ``label`` of ``train_data`` (items with unknown labels contribute no loss).

    Binary labels train one logit with BCE; ``n_classes > 2`` trains K logits with
    cross-entropy on class indices. ``indices`` restricts training to those items.
    """
    cfg = config or FinetuneConfig()
    torch.manual_seed(cfg.seed)
    tower = copy.deepcopy(getattr(tower, "visual", tower))
    model = TowerClassifier(tower, 1 if n_classes == 2 else n_classes)
    dev = torch.device(device)
    model.to(dev).train()
    ds = _as_dataset(train_data, [label], int(getattr(tower, "in_chans", 1)))
    if indices is not None:
        ds = Subset(ds, [int(i) for i in indices])
    gen = torch.Generator().manual_seed(cfg.seed)
    loader = DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, generator=gen,
                        num_workers=cfg.num_workers, collate_fn=_image_collate, drop_last=False)
    opt = torch.optim.AdamW([
        {"params": model.tower.parameters(), "lr": cfg.lr},
        {"params": model.head.parameters(), "lr": cfg.head_lr},
    ], weight_decay=cfg.weight_decay)
    history: list[float] = []
    total = cfg.epochs * len(loader)
    with progress_bar(f"fine-tune {label}", total=total, enabled=progress) as advance:
        for epoch in range(cfg.epochs):
            if hasattr(ds, "set_epoch"):
                ds.set_epoch(epoch)
            losses = []
            for batch in loader:
                y = _targets(batch, label).to(dev)
                known = ~torch.isnan(y)
                advance(1)
                if not known.any():
                    continue
                logits = model(batch["image"].to(dev))[known]
                if n_classes == 2:
                    loss = nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y[known])
                else:
                    loss = nn.functional.cross_entropy(logits, y[known].long())
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                losses.append(float(loss.detach()))
            history.append(float(np.mean(losses)) if losses else float("nan"))
    model.eval()
    return FinetuneResult(model=model, label=label, n_classes=n_classes, history=history)
