"""The benchmark's task modules. Adding a task: one file here plus one line in TASK_MODULES."""

from __future__ import annotations

import importlib

#: task modules, imported in this order (their tasks list in this order)
TASK_MODULES: tuple[str, ...] = (
    "classification",
    "detection",
    "segmentation",
    "retrieval",
    "vqa",
)

for _name in TASK_MODULES:
    importlib.import_module(f"{__name__}.{_name}")
