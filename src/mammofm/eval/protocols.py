"""The image-level protocols that need more than frozen pooled features: fine-tune, zero-shot.

Both wrap ``mammofm.adapt`` (``finetune``, ``zero_shot``) and return a scorer
``site -> (test frame, scores)`` like the frozen protocols of ``tasks.classification``, so a
classification task measures every protocol the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .base import BenchContext, BenchModel, TaskError, TaskNotApplicable
from .features import embedded, site_frame


def zero_shot_scorer(spec: Any, model: BenchModel, ctx: BenchContext) -> Any:
    """``mammofm.adapt.zero_shot`` prompt ensembles (each image scored with its own side's
    prompts) over the test images' joint-space embeddings."""
    from mammofm.adapt import ZERO_SHOT_TASKS, zero_shot

    if model.clip is None:
        raise TaskNotApplicable(f"{model.name} has no text tower: zero-shot does not apply")
    if spec.name not in ZERO_SHOT_TASKS:
        raise TaskNotApplicable(f"no zero-shot prompts for {spec.name!r}")

    def score(site: str) -> tuple[pd.DataFrame, np.ndarray]:
        feats = embedded(model, ctx, site)
        test = feats.subset((feats.frame["split"] == "test").to_numpy())
        r = zero_shot(model.clip, test, spec.name, breast_level=False)
        return test.frame, np.asarray(r.image_scores, dtype=np.float64)

    return score


def finetune_scorer(spec: Any, model: BenchModel, ctx: BenchContext, task: str,
                    seed: int) -> Any:
    """``mammofm.adapt.finetune`` of a copy of the image tower + linear head on the internal
    train images (``budget.finetune_epochs``), then scores of each site's test images."""
    from mammofm.adapt.finetune import FinetuneConfig, finetune

    train = site_frame(ctx, "internal", "train")
    y = pd.to_numeric(train.get(spec.column), errors="coerce")
    if y is None or y.notna().sum() < 4 or y.nunique() < 2:
        raise TaskError(f"{task}: too few labelled training images to fine-tune on "
                        f"{spec.column}")
    b = ctx.budget
    cfg = FinetuneConfig(epochs=int(b.get("finetune_epochs", task=task)),
                         lr=float(b.get("finetune_lr", task=task)),
                         head_lr=10 * float(b.get("finetune_lr", task=task)),
                         batch_size=b.batch_size, seed=seed)
    fitted = finetune(model.encoder, train, spec.column, n_classes=len(spec.classes),
                      config=cfg, device=ctx.device, progress=False)

    def score(site: str) -> tuple[pd.DataFrame, np.ndarray]:
        frame = site_frame(ctx, site, "test")
        ids, scores = fitted.predict(frame, batch_size=b.batch_size, device=ctx.device)
        keep = [c for c in frame.columns if c not in ids.columns or c == "image_id"]
        return ids.merge(frame[keep], on="image_id", how="left"), scores

    return score
