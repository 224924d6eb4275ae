"""Lesion segmentation: a light FPN decoder on the image tower's maps, Dice and IoU.

The encoder's ``forward_features`` maps (stride >= ``min_stride``) go through
``torchvision.ops.FeaturePyramidNetwork``; its outputs, upsampled to the finest and summed,
pass a 3x3 conv and a 1x1 conv to one lesion logit per pixel, upsampled bilinearly to the
image. The target is the union of an image's lesion masks
(any kind). Loss: binary cross-entropy + soft Dice (lesions cover a few percent of pixels, so
BCE alone learns "background"). Prediction: sigmoid >= 0.5.

Protocols as in ``tasks.detection``: ``light_head`` trains the decoder on the frozen encoder's
cached maps (shared with detection through ``ctx.cache``); ``finetune`` then trains a copy of
the encoder with it (encoder at ``finetune_lr``, decoder at 10x). Metrics and the empty-mask
conventions are those of ``mammofm.eval.metrics.segmentation`` (headline Dice / IoU over test
images that have a lesion). Per-image scores go to ``<task dir>/segmentation_<site>.parquet``;
``mask_to_original`` maps a predicted mask back to the original pixels.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..base import BenchContext, BenchModel, Budget, TaskError, TaskResult, register_task
from ..metrics.segmentation import SegmentationMetrics
from .detection import (DenseSet, DenseTask, encode_maps, finetune_steps, frozen_maps,
                        load_dense, select_levels)

if TYPE_CHECKING:
    import torch
    from torch import nn


@dataclass
class DecoderConfig:
    """Decoder size and loss knobs; each can be set through the budget
    (``budget.extra["lesion_segmentation.channels"] = 16``)."""

    channels: int = 32
    min_stride: int = 8          # the same maps as detection by default, so the cache is shared
    dice_weight: float = 1.0     # loss = BCE + dice_weight * soft Dice
    threshold: float = 0.5
    grad_clip: float = 10.0

    @classmethod
    def from_budget(cls, budget: Budget, task: str) -> DecoderConfig:
        kw = {f.name: budget.get(f.name, None, task=task) for f in fields(cls)}
        return cls(**{k: v for k, v in kw.items() if v is not None})


def build_decoder(feature_info: Sequence[dict[str, int]], config: DecoderConfig | None = None
                  ) -> nn.Module:
    """An FPN decoder: selected encoder maps (finest first) + image size -> (B, 1, H, W) logits."""
    import torch
    from torch import nn
    from torchvision.ops import FeaturePyramidNetwork

    cfg = config or DecoderConfig()
    info = list(feature_info)
    levels = select_levels(info, cfg.min_stride)

    class FPNDecoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.levels = levels
            chans = [int(info[i]["num_chs"]) for i in levels]
            self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in chans)  # maps at any scale
            self.fpn = FeaturePyramidNetwork(chans, cfg.channels)
            self.head = nn.Sequential(nn.Conv2d(cfg.channels, cfg.channels, 3, padding=1),
                                      nn.ReLU(inplace=True), nn.Conv2d(cfg.channels, 1, 1))

        def forward(self, maps: Sequence[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
            feats = self.fpn(OrderedDict((str(k), norm(m)) for k, (norm, m)
                                         in enumerate(zip(self.norms, maps))))
            fine = feats["0"].shape[-2:]
            # every level, brought to the finest and summed (a Panoptic-FPN-style semantic head)
            fused = sum(nn.functional.interpolate(f, size=fine, mode="bilinear",
                                                  align_corners=False) if k else f
                        for k, f in enumerate(feats.values()))
            logits = self.head(fused)  # (B, 1, H / stride, W / stride)
            return nn.functional.interpolate(logits, size=size, mode="bilinear",
                                             align_corners=False)

    return FPNDecoder()


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, dice_weight: float = 1.0
                      ) -> torch.Tensor:
    """BCE + soft Dice over the batch's pixels (one Dice over the batch, so lesion-free images
    still teach the background)."""
    from torch import nn

    bce = nn.functional.binary_cross_entropy_with_logits(logits, target)
    p = logits.sigmoid()
    dice = 1 - (2 * (p * target).sum() + 1) / (p.sum() + target.sum() + 1)
    return bce + dice_weight * dice


def mask_to_original(mask: np.ndarray, row: Any, out_size: tuple[int, int]) -> np.ndarray | None:
    """A preprocessed-frame mask of one image -> its original pixels (None without geometry)."""
    from mammofm.common.geometry import FrameTransform

    try:
        ft = FrameTransform.from_row(row, out_size)
    except (KeyError, TypeError, ValueError):
        return None
    return ft.mask_to_original(np.asarray(mask, dtype=bool))


def _train(decoder: nn.Module, data: DenseSet, maps_of: Any, params: list[dict[str, Any]],
           steps: int, batch: int, seed: int, cfg: DecoderConfig, description: str
           ) -> list[float]:
    import torch
    from rich.progress import Progress

    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(params, weight_decay=1e-4)
    order, pos, losses = torch.randperm(len(data), generator=gen).tolist(), 0, []
    with Progress(transient=True) as bar:
        t = bar.add_task(description, total=steps)
        for _ in range(steps):
            if pos + batch > len(order):
                order, pos = torch.randperm(len(data), generator=gen).tolist(), 0
            idx = order[pos:pos + batch]
            pos += batch
            logits = decoder(maps_of(idx), data.size)
            loss = segmentation_loss(logits, data.masks[idx].to(logits.device), cfg.dice_weight)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in params for p in g["params"]],
                                           cfg.grad_clip)
            opt.step()
            losses.append(float(loss.detach()))
            bar.advance(t)
    return losses


class LesionSegmentationTask(DenseTask):
    """Segment lesions (union of every lesion mask) with an FPN decoder on the encoder."""

    name = "lesion_segmentation"
    category = "segmentation"
    primary = "dice"
    description = "lesion segmentation: FPN decoder on the image tower (Dice, IoU)"

    def run(self, model: BenchModel, ctx: BenchContext) -> TaskResult:
        import torch

        b = ctx.budget
        cfg = DecoderConfig.from_budget(b, self.name)
        seed, encoder, train = self._seeded_train_split(model, ctx)
        n_les = int((train.masks.flatten(1).amax(1) > 0).sum()) if len(train) else 0
        if len(train) < 2 or n_les == 0:
            raise TaskError(f"{self.name}: the internal train/val split has {len(train)} "
                            f"usable images and {n_les} with a lesion mask; nothing to learn")
        decoder = build_decoder(encoder.feature_info, cfg).to(ctx.device)
        levels = decoder.levels
        batch = min(int(b.batch_size), len(train))
        maps = frozen_maps(model, ctx, "internal", train, ("train", "val"), levels)
        dec_params = list(decoder.parameters())
        decoder.train()
        losses = _train(decoder, train, lambda idx: [m[idx].to(ctx.device) for m in maps],
                        [{"params": dec_params, "lr": float(b.get("head_lr", task=self.name))}],
                        int(b.get("head_steps", task=self.name)), batch, seed, cfg,
                        f"{self.name} decoder")
        if self.protocol == "finetune":
            encoder.to(ctx.device).train()
            lr = float(b.get("finetune_lr", task=self.name))
            enc = list(encoder.parameters())
            for p in enc:
                p.requires_grad_(True)

            def maps_of(idx: list[int]) -> list[torch.Tensor]:
                out = encoder.forward_features(train.images[idx].to(ctx.device))
                return [out[i] for i in levels]

            losses += _train(decoder, train, maps_of,
                             [{"params": enc, "lr": lr}, {"params": dec_params, "lr": 10 * lr}],
                             finetune_steps(b, self.name, len(train)), batch, seed + 1, cfg,
                             f"{self.name} fine-tune")
        if not all(math.isfinite(v) for v in losses):
            raise TaskError(f"{self.name}: training diverged (non-finite loss)")

        results = {site: self._evaluate(decoder, encoder, model, ctx, site, levels, cfg)
                   for site, _ in ctx.sites()}
        internal = results["internal"]
        notes = (f"{self.protocol}; FPN decoder ({cfg.channels} ch, strides "
                 f"{[int(encoder.feature_info[i]['reduction']) for i in levels]}); trained on "
                 f"{len(train)} images ({n_les} with a lesion); final loss "
                 f"{np.mean(losses[-10:]):.3f}; dice/iou over test images with a lesion, "
                 "*_all over every image (empty vs empty = 1)")
        skipped = train.skipped + [s for r in results.values() for s in r["skipped"]]
        if skipped:
            notes += f"; skipped {len(skipped)} unreadable image(s), first: {skipped[0]}"
        out = TaskResult(metrics=internal["metrics"], primary=self.primary, ci=internal["ci"],
                         notes=notes)
        if "external" in results:
            out.external, out.external_ci = results["external"]["metrics"], \
                results["external"]["ci"]
        return out

    def _evaluate(self, decoder: nn.Module, encoder: nn.Module, model: BenchModel,
                  ctx: BenchContext, site: str, levels: Sequence[int], cfg: DecoderConfig
                  ) -> dict[str, Any]:
        import torch

        from mammofm.common.atomic import atomic_path

        test = load_dense(ctx, site, ("test",), int(getattr(encoder, "in_chans", 1)))
        if len(test) == 0:
            raise TaskError(f"{self.name}: the {site} site has no usable test images")
        if self.protocol == "light_head":
            maps = frozen_maps(model, ctx, site, test, ("test",), levels)
        else:
            maps = encode_maps(encoder, test.images, levels, ctx.budget.batch_size, ctx.device)
        metric = SegmentationMetrics(threshold=cfg.threshold)
        bs = int(ctx.budget.batch_size)
        decoder.eval()
        with torch.no_grad():
            for s in range(0, len(test), bs):
                logits = decoder([m[s:s + bs].to(ctx.device) for m in maps], test.size)
                metric.update(logits.sigmoid()[:, 0].cpu(), test.masks[s:s + bs, 0])
        values = metric.aggregate()
        ci = metric.bootstrap(n_resamples=int(ctx.budget.bootstrap),
                              seed=ctx.seed_for(self.name, model.name, site))
        per = metric.per_image()
        frame = pd.DataFrame({"image_id": test.frame["image_id"].astype(str).to_numpy(),
                              "dice": per["dice"], "iou": per["iou"],
                              "has_lesion": per["has_lesion"]})
        with atomic_path(ctx.task_dir(self.name, model.name) / f"segmentation_{site}.parquet"
                         ) as tmp:
            frame.to_parquet(tmp, index=False)
        return {"metrics": values, "ci": ci, "skipped": test.skipped}


# --- the registry lines ---------------------------------------------------------------------
#: (task name, protocol)
SEGMENTATION_TASKS: tuple[tuple[str, str], ...] = (
    ("lesion_segmentation", "light_head"),
    ("lesion_segmentation_finetune", "finetune"),
)

for _name, _protocol in SEGMENTATION_TASKS:
    register_task(lambda p=_protocol, n=_name: LesionSegmentationTask(p, n), name=_name,
                  category="segmentation", protocol=_protocol,
                  description=f"lesion segmentation, Dice + IoU ({_protocol.replace('_', ' ')})")

__all__ = ["SEGMENTATION_TASKS", "DecoderConfig", "LesionSegmentationTask", "build_decoder",
           "mask_to_original", "segmentation_loss"]
