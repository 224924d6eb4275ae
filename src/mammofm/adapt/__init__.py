"""Downstream uses of a pretrained encoder: features, linear probe, fine-tune, zero-shot,
data-efficiency curves, text-prompted heatmaps and embedding export.

Submodules import torch / scikit-learn; this package sits above ``models`` and ``train`` and
below ``eval`` and ``cli`` (see docs/CONTRACTS.md).
"""

from __future__ import annotations

from .aggregate import per_breast
from .bootstrap import BootstrapCI, bootstrap_ci
from .features import Features, extract_features
from .metrics import task_metric
from .probe import ProbeResult, linear_probe
from .prompts import TASKS as ZERO_SHOT_TASKS
from .prompts import ZeroShotTask
from .zeroshot import ZeroShotResult, class_embeddings, zero_shot

__all__ = [
    "BootstrapCI", "Features", "ProbeResult", "bootstrap_ci", "extract_features",
    "linear_probe", "per_breast", "task_metric", "ZERO_SHOT_TASKS", "ZeroShotTask",
    "ZeroShotResult", "class_embeddings", "zero_shot",
]
