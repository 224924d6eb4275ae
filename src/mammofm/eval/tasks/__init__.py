"""The benchmark's task modules. Adding a task: one file here plus one line in TASK_MODULES."""

from __future__ import annotations

import importlib
from pathlib import Path

#: task modules, imported in this order (their tasks list in this order)
TASK_MODULES: tuple[str, ...] = (
    "classification",
    "detection",
    "segmentation",
    "retrieval",
    "vqa",
)

_here = Path(__file__).parent
for _name in TASK_MODULES:
    if (_here / f"{_name}.py").exists():  # parts land one at a time
        importlib.import_module(f"{__name__}.{_name}")
