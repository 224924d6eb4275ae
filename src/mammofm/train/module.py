"""The Lightning side of CLIP pretraining: the training step, the optimiser and schedule, the
data loader, and an atomic checkpoint writer. The model stays a plain ``MammoCLIP``.

Exact resume: the sampler's order depends on (seed, epoch), each item's augmentation on
(seed, epoch, index), and the global torch RNG (dropout, drop-path) is re-seeded from
(seed, global step, rank) before every step; Lightning restores weights, optimiser, schedule and
loop counters. So a run resumed from an epoch checkpoint ends with the same weights as one that
never stopped.
"""

from __future__ import annotations

import math
import os
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
import torch.nn.functional as F
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO
from torch.utils.data import DataLoader

from mammofm.common.atomic import atomic_open
from mammofm.common.seed import derive_seed
from mammofm.data import collate

from .clip_data import ClipBreastDataset, EpochSampler
from .config import ClipTrainConfig
from .losses import ClipLoss
from .positives import N_COMPOSITION


class AtomicCheckpointIO(TorchCheckpointIO):
    """torch.save through ``mammofm.common.atomic``: a killed job never leaves half a checkpoint."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any,
                        storage_options: Any | None = None) -> None:
        if storage_options is not None or "://" in str(path):
            return super().save_checkpoint(checkpoint, path, storage_options)
        with atomic_open(os.fspath(path), "wb") as fh:
            torch.save(checkpoint, fh)


def cosine_with_warmup(step: int, warmup: int, total: int) -> float:
    """LR multiplier: linear warm-up to 1, then cosine to 0 at ``total`` steps."""
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


class ClipPretrainModule(pl.LightningModule):
    def __init__(self, model: torch.nn.Module, config: ClipTrainConfig,
                 dataset: ClipBreastDataset, key_table: Any = None) -> None:
        super().__init__()
        self.model = model
        self.config = config
        self.dataset = dataset
        self.loss_fn = ClipLoss(config.image_image_weight, config.text_text_weight)
        # the report-label head (training only; see ClipTrainConfig.report_label_weight)
        self.report_head: torch.nn.Linear | None = None
        if key_table is not None and len(key_table) and (
                config.report_label_weight > 0 or config.report_composition_weight > 0):
            table = torch.as_tensor(np.asarray(key_table), dtype=torch.long)
            self.register_buffer("key_table", table, persistent=False)
            self.report_head = torch.nn.Linear(model.visual.num_features,
                                               N_COMPOSITION + table.shape[1] - 1)

    # --- data ---------------------------------------------------------------------------------
    def train_dataloader(self) -> DataLoader:
        sampler = EpochSampler(len(self.dataset), seed=derive_seed(self.config.seed, "sampler"),
                               rank=self.global_rank, world_size=self.trainer.world_size)
        return DataLoader(self.dataset, batch_size=self.config.batch_size, sampler=sampler,
                          collate_fn=collate, num_workers=self.config.num_workers,
                          drop_last=len(sampler) > self.config.batch_size,
                          persistent_workers=False)

    # --- step ---------------------------------------------------------------------------------
    def on_fit_start(self) -> None:
        if self.config.channels_last:
            self.model.visual.to(memory_format=torch.channels_last)

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        torch.manual_seed(derive_seed(self.config.seed, "step", self.global_step, batch_idx,
                                      self.global_rank) % (2**63))

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        images = batch["images"]                              # (B, V, 1, H, W)
        present = batch["view_present"]                       # (B, V)
        groups = torch.as_tensor(batch["group"], device=images.device, dtype=torch.long)  # (B,)
        flat = images[present]                                # (N, 1, H, W), N = present views
        # label keys: NO_KEY (no extra positives) for every breast when label_positives is off
        keys = torch.as_tensor(batch["label_key"], device=images.device, dtype=torch.long)

        def per_image(t: torch.Tensor) -> torch.Tensor:  # (B,) -> one value per present view
            return t[:, None].expand_as(present)[present]

        image_groups, image_keys = per_image(groups), per_image(keys)
        if self.config.channels_last:
            flat = flat.contiguous(memory_format=torch.channels_last)
        feats = self.model.visual(flat)
        img = self.model.project_image(feats)  # = encode_image(flat); feats feed the head
        txt = self.model.encode_text(batch["text"])
        txt2 = self.model.encode_text(batch["text_2"]) if self.config.text_text_weight else None
        losses = self.loss_fn(img, image_groups, txt, groups, self.model.scale(), txt2,
                              image_keys=image_keys, text_keys=keys)
        if self.report_head is not None:
            findings, composition = self._report_label_losses(feats, image_keys)
            losses["report_label_loss"] = findings
            losses["report_composition_loss"] = composition
            losses["loss"] = (losses["loss"] + self.config.report_label_weight * findings
                              + self.config.report_composition_weight * composition)
        bs = len(groups)
        for name, value in losses.items():
            self.log(f"train/{name}", value.detach(), prog_bar=name == "loss", batch_size=bs,
                     on_step=True, on_epoch=True, sync_dist=False)
        self.log("train/temperature", 1.0 / self.model.scale().detach(), batch_size=bs)
        return losses["loss"]

    def _report_label_losses(self, feats: torch.Tensor, keys: torch.Tensor
                             ) -> tuple[torch.Tensor, torch.Tensor]:
        """(finding-presence BCE, composition CE) of the report-label head over the labels
        each image's breast text states; a label the text leaves unknown adds nothing."""
        assert self.report_head is not None
        # every row goes through the head, even when nothing is known, so that every step uses
        # its parameters (DDP without find_unused_parameters fails on a step that leaves one out)
        scores = self.report_head(feats).float()
        zero = scores.sum() * 0.0
        known = keys >= 0
        if not bool(known.any()):
            return zero, zero
        codes = self.key_table[keys[known]]                     # (n, F): composition first
        out = scores[known]
        present, logits = codes[:, 1:], out[:, N_COMPOSITION:]
        mask = present >= 0
        findings = (F.binary_cross_entropy_with_logits(logits[mask], present[mask].float())
                    if bool(mask.any()) else zero)
        comp = codes[:, 0]
        composition = (F.cross_entropy(out[:, :N_COMPOSITION], comp, ignore_index=-1)
                       if bool((comp >= 0).any()) else zero)
        return findings, composition

    # --- optimisation -------------------------------------------------------------------------
    def configure_optimizers(self) -> dict[str, Any]:
        cfg = self.config
        text_lr = cfg.lr if cfg.text_lr is None else cfg.text_lr
        groups: dict[tuple[bool, float], list[torch.nn.Parameter]] = {}
        for name, p in self.named_parameters():  # the model's and the report-label head's
            if not p.requires_grad:
                continue
            decay = not (p.ndim < 2 or "logit_scale" in name)
            lr = text_lr if name.startswith("model.text.") else cfg.lr
            groups.setdefault((decay, lr), []).append(p)
        opt = torch.optim.AdamW([{"params": ps, "lr": lr,
                                  "weight_decay": cfg.weight_decay if decay else 0.0}
                                 for (decay, lr), ps in groups.items()], lr=cfg.lr)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warmup = self.config.warmup_steps
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: cosine_with_warmup(s, warmup, total))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
