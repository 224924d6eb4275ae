"""Batch dataset items: stack tensors of one shape, keep boxes (and anything ragged) as lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

#: keys always kept as per-item lists (ragged by nature)
LIST_KEYS: frozenset[str] = frozenset({"boxes", "box_labels"})


def _merge(key: str, values: list[Any]) -> Any:
    first = values[0]
    if key in LIST_KEYS:
        return list(values)
    if isinstance(first, torch.Tensor):
        if all(isinstance(v, torch.Tensor) and v.shape == first.shape for v in values):
            return torch.stack(values)
        return list(values)
    if isinstance(first, dict):
        return {k: _merge(k, [v[k] for v in values]) for k in first}
    return list(values)


def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Batch a list of MammoImageDataset or FourViewExamDataset items."""
    if not items:
        raise ValueError("collate: empty batch")
    return {k: _merge(k, [it[k] for it in items]) for k in items[0]}
