"""Data: cohort loading, label attachment, torch datasets, transforms and dataset adapters.

Importing ``mammofm.data`` is cheap: torch-based names (datasets, collate, transforms) load on
first use, so the adapters and label tables work without importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from .boxes import BOX_CLASSES, box_class_index
from .labels import LABEL_COLUMNS, attach_labels

_LAZY = {
    "Cohort": ".cohort",
    "load_cohort": ".cohort",
    "CohortError": ".cohort",
    "read_image": ".images",
    "read_mask": ".images",
    "map_annotations": ".annotations",
    "prepare_dataset": ".prepare",
    "restore_source_identity": ".prepare",
    "MammoImageDataset": ".datasets",
    "FourViewExamDataset": ".datasets",
    "FOUR_VIEWS": ".datasets",
    "collate": ".collate",
    "transforms": ".transforms",
    "adapters": ".adapters",
}

__all__ = ["BOX_CLASSES", "LABEL_COLUMNS", "attach_labels", "box_class_index", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name], __name__)
        value = module if name in ("transforms", "adapters") else getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
