"""The image-level protocols that need more than frozen pooled features: fine-tune, zero-shot.

Each returns a scorer ``site -> (test frame, scores)`` like the frozen protocols of
``tasks.classification``, so a classification task measures every protocol the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import BenchContext, BenchModel, TaskError, TaskNotApplicable
from .features import embedded, site_frame, text_embeddings


def zero_shot_scorer(spec: Any, model: BenchModel, ctx: BenchContext) -> Any:
    """Score each test image against one written prompt per class (its own breast's side):
    softmax over ``logit_scale * cos(image, prompt)``."""
    from .prompts import class_prompts

    if model.clip is None:
        raise TaskNotApplicable(f"{model.name} has no text tower: zero-shot does not apply")
    try:
        class_prompts(spec.column, "L")
    except KeyError as exc:
        raise TaskNotApplicable(str(exc)) from exc
    scale = _logit_scale(model)

    def score(site: str) -> tuple[Any, np.ndarray]:
        feats = embedded(model, ctx, site)
        test = feats.subset((feats.frame["split"] == "test").to_numpy())
        out = np.zeros((len(test), len(spec.classes)))
        lats = test.frame["laterality"].astype(str).to_numpy()
        for lat in np.unique(lats):
            rows = lats == lat
            prompts = list(class_prompts(spec.column, lat))
            T = text_embeddings(model, prompts, ctx)  # (K, E)
            logits = scale * test.X[rows] @ T.T
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            out[rows] = p / p.sum(axis=1, keepdims=True)
        return test.frame, (out[:, 1] if spec.binary else out)

    return score


def _logit_scale(model: BenchModel) -> float:
    ls = getattr(model.clip, "logit_scale", None)
    if ls is None:
        return 100.0
    try:
        import torch

        v = ls.detach().float() if isinstance(ls, torch.Tensor) else torch.tensor(float(ls))
        return float(v.exp().clamp(max=100.0)) if v.numel() == 1 and float(v) < 10 else float(v)
    except (TypeError, ValueError):
        return 100.0


def finetune_scorer(spec: Any, model: BenchModel, ctx: BenchContext, task: str,
                    seed: int) -> Any:
    """Fine-tune a copy of the image tower with a linear head on the internal train images
    (``budget.finetune_steps`` AdamW steps), then score each site's test images."""
    import copy

    import torch
    from torch import nn
    from torch.utils.data import DataLoader

    from mammofm.data import MammoImageDataset

    train = site_frame(ctx, "internal", "train")
    train = train[np.isfinite(_as_float(train, spec.column))].reset_index(drop=True)
    if len(train) < 4 or train[spec.column].nunique() < 2:
        raise TaskError(f"{task}: too few labelled training images to fine-tune "
                        f"({len(train)} with {spec.column})")
    b = ctx.budget
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    encoder = copy.deepcopy(model.encoder).to(ctx.device)
    head = nn.Linear(int(encoder.num_features), len(spec.classes)).to(ctx.device)
    net = nn.Sequential(encoder, head)
    opt = torch.optim.AdamW([{"params": encoder.parameters(), "lr": b.get("finetune_lr", task=task)},
                             {"params": head.parameters(), "lr": 10 * b.get("finetune_lr", task=task)}],
                            weight_decay=1e-4)
    in_chans = int(getattr(encoder, "in_chans", 1))
    ds = MammoImageDataset(train, label_columns=[spec.column], in_chans=in_chans)
    loader = DataLoader(ds, batch_size=b.batch_size, shuffle=True, generator=gen,
                        collate_fn=_collate, drop_last=len(ds) > b.batch_size)
    steps = int(b.get("finetune_steps", task=task))
    net.train()
    done = 0
    while done < steps:
        for x, y in loader:
            loss = nn.functional.cross_entropy(net(x.to(ctx.device)), y.long().to(ctx.device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done >= steps:
                break
    net.eval()

    def score(site: str) -> tuple[Any, np.ndarray]:
        frame = site_frame(ctx, site, "test")
        test_ds = MammoImageDataset(frame, label_columns=[spec.column], in_chans=in_chans)
        probs = []
        with torch.no_grad():
            for x, _ in DataLoader(test_ds, batch_size=b.batch_size, collate_fn=_collate):
                probs.append(torch.softmax(net(x.to(ctx.device)), 1).cpu().numpy())
        p = np.concatenate(probs) if probs else np.zeros((0, len(spec.classes)))
        return frame, (p[:, 1] if spec.binary else p)

    return score


def _as_float(frame: Any, column: str) -> np.ndarray:
    import pandas as pd

    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)


def _collate(items: list[dict[str, Any]]) -> tuple[Any, Any]:
    import torch

    x = torch.stack([it["image"] for it in items])
    name = next(iter(items[0]["labels"]))
    y = torch.stack([torch.nan_to_num(torch.as_tensor(it["labels"][name]), 0.0)
                     for it in items])
    return x, y
