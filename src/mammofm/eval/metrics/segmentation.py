"""Lesion-segmentation metrics: Dice and IoU per image and their means.

Conventions for empty masks (stated because they change the numbers a lot):

* ground truth has a lesion: Dice = 2|P n G| / (|P| + |G|), IoU = |P n G| / |P u G|
  (an empty prediction scores 0);
* ground truth empty and prediction empty: both 1 (a correct "no lesion");
* ground truth empty and prediction not: both 0.

The headline ``dice`` / ``iou`` are means over images WITH a lesion only, so a decoder cannot
score well by predicting background on lesion-free images; ``dice_all`` / ``iou_all`` average
every image under the conventions above, and ``empty_correct`` is the share of lesion-free
images predicted empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def _as_bool(m: Any, threshold: float = 0.5) -> np.ndarray:
    arr = np.asarray(m.detach().cpu().numpy() if hasattr(m, "detach") else m)
    return arr.astype(bool) if arr.dtype == bool else arr > threshold


def dice_iou(pred: Any, target: Any) -> tuple[float, float]:
    """Dice and IoU of two binary masks of one image (any shape, same size)."""
    p, g = _as_bool(pred), _as_bool(target)
    if p.shape != g.shape:
        raise ValueError(f"mask shapes differ: prediction {p.shape}, target {g.shape}")
    ps, gs = int(p.sum()), int(g.sum())
    if gs == 0:
        return (1.0, 1.0) if ps == 0 else (0.0, 0.0)
    inter = int(np.logical_and(p, g).sum())
    return 2 * inter / (ps + gs), inter / (ps + gs - inter)


@dataclass
class SegmentationMetrics:
    """Accumulates per-image Dice / IoU; ``aggregate`` summarises, ``bootstrap`` gives CIs."""

    threshold: float = 0.5  # probability -> mask
    dice: list[float] = field(default_factory=list)
    iou: list[float] = field(default_factory=list)
    has_lesion: list[bool] = field(default_factory=list)

    def reset(self) -> None:
        self.dice.clear()
        self.iou.clear()
        self.has_lesion.clear()

    def update(self, preds: Iterable[Any], targets: Iterable[Any]) -> None:
        """Add a batch of masks: probabilities (thresholded) or booleans, one per image."""
        for p, t in zip(preds, targets, strict=True):
            pb, tb = _as_bool(p, self.threshold), _as_bool(t)
            d, j = dice_iou(pb, tb)
            self.dice.append(d)
            self.iou.append(j)
            self.has_lesion.append(bool(tb.any()))

    @staticmethod
    def _summary(dice: np.ndarray, iou: np.ndarray, les: np.ndarray) -> dict[str, float]:
        nan = float("nan")
        return {
            "dice": float(dice[les].mean()) if les.any() else nan,
            "iou": float(iou[les].mean()) if les.any() else nan,
            "dice_all": float(dice.mean()) if len(dice) else nan,
            "iou_all": float(iou.mean()) if len(iou) else nan,
            "empty_correct": float(dice[~les].mean()) if (~les).any() else nan,
        }

    def per_image(self) -> dict[str, np.ndarray]:
        return {"dice": np.array(self.dice), "iou": np.array(self.iou),
                "has_lesion": np.array(self.has_lesion, dtype=bool)}

    def aggregate(self) -> dict[str, float]:
        """dice, iou (lesion images), dice_all, iou_all, empty_correct, n_lesion, n_empty."""
        pi = self.per_image()
        out = self._summary(pi["dice"], pi["iou"], pi["has_lesion"])
        out["n_lesion"] = float(pi["has_lesion"].sum())
        out["n_empty"] = float((~pi["has_lesion"]).sum())
        return out

    def bootstrap(self, n_resamples: int = 1000, seed: int = 0, alpha: float = 0.05,
                  keys: Sequence[str] = ("dice", "iou", "dice_all", "iou_all")
                  ) -> dict[str, tuple[float, float]]:
        """Percentile CIs over images (resampled with replacement, fixed seed)."""
        from mammofm.common.seed import rng

        pi = self.per_image()
        n = len(pi["dice"])
        if n == 0:
            return {}
        idx = rng(seed, "segmentation-bootstrap").integers(0, n, (n_resamples, n))
        draws = [self._summary(pi["dice"][i], pi["iou"][i], pi["has_lesion"][i]) for i in idx]
        out = {}
        for k in keys:
            v = np.array([d[k] for d in draws])
            v = v[np.isfinite(v)]
            out[k] = ((float(np.quantile(v, alpha / 2)), float(np.quantile(v, 1 - alpha / 2)))
                      if len(v) else (float("nan"), float("nan")))
        return out
