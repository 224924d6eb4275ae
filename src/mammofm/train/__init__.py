"""Training recipes (Lightning), losses and schedules on top of ``mammofm.models``.

    pretrain_clip(cohort_or_manifest, ClipTrainConfig(...)) -> MammoCLIP
    losses.ClipLoss, throughput.measure_train_throughput

Names load on first use, so ``import mammofm.train`` does not import Lightning.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ClipTrainConfig": ".config",
    "TrainConfigError": ".config",
    "pretrain_clip": ".pretrain",
    "TrainingInterrupted": ".pretrain",
    "ClipLoss": ".losses",
    "measure_train_throughput": ".throughput",
    "compare_precisions": ".throughput",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
