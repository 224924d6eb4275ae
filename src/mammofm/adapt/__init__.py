"""Downstream uses of a pretrained encoder: features, linear probe, fine-tune, zero-shot,
data-efficiency curves, text-prompted heatmaps and embedding export.

Submodules import torch / scikit-learn; this package sits above ``models`` and ``train`` and
below ``eval`` and ``cli`` (see docs/CONTRACTS.md).
"""

from __future__ import annotations

from .aggregate import per_breast
from .bootstrap import BootstrapCI, bootstrap_ci
from .efficiency import data_efficiency, patient_subset, plot_curves
from .embed import embed_manifest, read_embeddings, write_embeddings
from .features import Features, extract_features
from .finetune import FinetuneConfig, FinetuneResult, finetune
from .heatmap import finding_pointing_game, pointing_game, text_heatmaps
from .metrics import task_metric
from .probe import ProbeResult, linear_probe
from .prompts import TASKS as ZERO_SHOT_TASKS
from .prompts import ZeroShotTask
from .zeroshot import ZeroShotResult, class_embeddings, zero_shot

__all__ = [
    "BootstrapCI", "Features", "FinetuneConfig", "FinetuneResult", "ProbeResult",
    "ZERO_SHOT_TASKS", "ZeroShotResult", "ZeroShotTask", "bootstrap_ci", "class_embeddings",
    "data_efficiency", "embed_manifest", "extract_features", "finding_pointing_game",
    "finetune", "linear_probe", "patient_subset", "per_breast", "plot_curves",
    "pointing_game", "read_embeddings", "task_metric", "text_heatmaps", "write_embeddings",
    "zero_shot",
]
