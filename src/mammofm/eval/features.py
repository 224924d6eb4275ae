"""Frozen features shared by the tasks of one benchmark, extracted once per model and site.

Every frozen-encoder task (linear probes, light heads, retrieval, VQA) reads the same pooled
features of the same images, so they are computed once with ``mammofm.adapt.extract_features``
and kept in ``BenchContext.cache``. The internal site gives train / val / test; the external
site is never trained on, so all of its usable images are its test set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mammofm.data import LABEL_COLUMNS

from .base import BenchContext, BenchModel, TaskNotApplicable


def usable(manifest: pd.DataFrame) -> pd.DataFrame:
    """Rows whose preprocessing succeeded (status ok or absent)."""
    if "status" in manifest.columns:
        manifest = manifest[manifest["status"].fillna("ok").astype(str) == "ok"]
    return manifest.reset_index(drop=True)


def site_frame(ctx: BenchContext, site: str, split: str | None = None) -> pd.DataFrame:
    """The manifest rows a task sees: internal rows of ``split``; all external rows as test."""
    m = usable(ctx.cohort_of(site).manifest)
    if site == "external":
        return m if split in (None, "test") else m.iloc[0:0]
    if split is None:
        return m
    return m[m["split"].astype(str) == split].reset_index(drop=True)


def require_test_split(ctx: BenchContext, task: str) -> None:
    """Raise a TaskError naming the task when the internal cohort has no test images."""
    from .base import TaskError

    if site_frame(ctx, "internal", "test").empty:
        root = getattr(ctx.cohort, "root", None)
        raise TaskError(f"{task}: the internal cohort{f' ({root})' if root else ''} has no "
                        f"usable test-split images (too few patients to split?)")


def _extract(model: Any, frame: pd.DataFrame, ctx: BenchContext, kind: str, desc: str) -> Any:
    from mammofm.adapt import extract_features

    labels = [c for c in LABEL_COLUMNS if c in frame.columns]
    return extract_features(model, frame, kind=kind, batch_size=ctx.budget.batch_size,
                            device=ctx.device, label_columns=labels, progress=False,
                            description=desc)


def pooled(model: BenchModel, ctx: BenchContext, site: str) -> Any:
    """``mammofm.adapt.Features`` (pooled image-tower features) of every usable image of a site.

    Internal features keep their ``split`` column; external ones are all marked "test".
    """
    key = ("pooled", model.name, site)
    if key not in ctx.cache:
        frame = site_frame(ctx, site)
        feats = _extract(model.encoder, frame, ctx, "pooled", f"{model.name} {site} features")
        if site == "external":
            feats.frame["split"] = "test"
        ctx.cache[key] = feats
    return ctx.cache[key]


def embedded(model: BenchModel, ctx: BenchContext, site: str) -> Any:
    """Joint-space (L2-normalised) image embeddings of a CLIP model, for zero-shot scoring."""
    if model.clip is None:
        raise TaskNotApplicable(f"{model.name} has no text tower (not a CLIP model)")
    key = ("embedding", model.name, site)
    if key not in ctx.cache:
        frame = site_frame(ctx, site)
        feats = _extract(model.clip, frame, ctx, "embedding", f"{model.name} {site} embeddings")
        if site == "external":
            feats.frame["split"] = "test"
        ctx.cache[key] = feats
    return ctx.cache[key]


def text_embeddings(model: BenchModel, texts: list[str], ctx: BenchContext | None = None,
                    batch_size: int = 32) -> np.ndarray:
    """(N, E) L2-normalised text embeddings from a CLIP model's text tower (cached per text)."""
    if model.clip is None:
        raise TaskNotApplicable(f"{model.name} has no text tower (not a CLIP model)")
    import torch

    cache: dict[str, np.ndarray] = (ctx.cache.setdefault(("text", model.name), {})
                                    if ctx is not None else {})
    todo = [t for t in dict.fromkeys(texts) if t not in cache]
    clip = model.clip
    was_training = clip.training
    clip.eval()
    try:
        with torch.no_grad():
            for i in range(0, len(todo), batch_size):
                chunk = todo[i:i + batch_size]
                emb = clip.encode_text(chunk, normalize=True).float().cpu().numpy()
                cache.update(zip(chunk, emb))
    finally:
        clip.train(was_training)
    return np.stack([cache[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)


def breast_features(feats: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """Mean feature vector per breast (study_id, laterality): (breast rows, (B, D))."""
    from mammofm.adapt import per_breast

    labels = [c for c in LABEL_COLUMNS if c in feats.frame.columns]
    return per_breast(feats.frame, feats.X, labels)
