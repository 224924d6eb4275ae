"""Zero-shot classification with a CLIP model: prompt ensembles, per-breast aggregation.

Each class's text embedding is the renormalised mean of its prompts' normalised embeddings
(the CLIP prompt-ensemble recipe); an image's class probabilities are the softmax of
``logit_scale.exp() * image_embedding @ class_embeddings.T``; a breast's scores are the mean of
its views' scores. Lateral tasks use the prompts of the image's own side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import Dataset

from .aggregate import per_breast
from .features import Features, extract_features
from .metrics import task_metric
from .prompts import ZeroShotTask, get_task


@torch.no_grad()
def encode_texts(model: nn.Module, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """(N, E) L2-normalised text embeddings (eval mode, no gradients)."""
    was_training = model.training
    model.eval()
    try:
        out = [model.encode_text(list(texts[i:i + batch_size]), normalize=True).float().cpu()
               for i in range(0, len(texts), batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)


def ensemble(prompt_embeddings: Sequence[np.ndarray]) -> np.ndarray:
    """(K, E) class embeddings: per class, mean of its (P_k, E) normalised prompt embeddings,
    renormalised to unit length."""
    rows = []
    for e in prompt_embeddings:
        e = np.asarray(e, dtype=np.float64)
        e = e / np.linalg.norm(e, axis=1, keepdims=True)
        m = e.mean(axis=0)
        rows.append(m / np.linalg.norm(m))
    return np.stack(rows)


def class_embeddings(model: nn.Module, prompts: Sequence[Sequence[str]]) -> np.ndarray:
    """(K, E) ensemble embeddings of K classes' prompt lists (one text batch for all)."""
    flat = [p for ps in prompts for p in ps]
    if any(len(ps) == 0 for ps in prompts):
        raise ValueError("every class needs at least one prompt")
    emb = encode_texts(model, flat)
    bounds = np.cumsum([0, *(len(ps) for ps in prompts)])
    return ensemble([emb[a:b] for a, b in zip(bounds[:-1], bounds[1:])])


def logit_scale_of(model: nn.Module) -> float:
    """exp(logit_scale) of a CLIP model (a parameter or a float, stored as its log)."""
    ls = getattr(model, "logit_scale", None)
    if ls is None:
        return 1.0
    return float(torch.as_tensor(ls).detach().float().exp())


def zero_shot_probs(image_emb: np.ndarray, class_emb: np.ndarray, scale: float) -> np.ndarray:
    """(N, K) softmax over classes of scale * cosine similarity (inputs renormalised)."""
    x = np.asarray(image_emb, dtype=np.float64)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    logits = scale * x @ np.asarray(class_emb, dtype=np.float64).T
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


@dataclass
class ZeroShotResult:
    """Per-image and per-breast scores of one task (1-D P(class 1) for binary tasks)."""

    task: ZeroShotTask
    image_scores: np.ndarray
    frame: pd.DataFrame
    breasts: pd.DataFrame
    breast_scores: np.ndarray
    metric_name: str
    metric: float

    @property
    def labels(self) -> np.ndarray:
        return pd.to_numeric(self.breasts[self.task.label], errors="coerce").to_numpy(float)


def _image_embeddings(model: nn.Module, data: Features | Dataset | pd.DataFrame, **kw: object
                      ) -> Features:
    if isinstance(data, Features):
        return data
    return extract_features(model, data, kind="embedding", **kw)  # type: ignore[arg-type]


def zero_shot(model: nn.Module, data: Features | Dataset | pd.DataFrame,
              task: str | ZeroShotTask, *, breast_level: bool = True,
              **extract_kwargs: object) -> ZeroShotResult:
    """Score ``data`` (joint-space image embeddings, or images to embed) on one task.

    The metric (AUC for binary tasks, accuracy otherwise) is computed per breast when
    ``breast_level`` (mean over views) and per image otherwise, over known labels.
    """
    t = get_task(task)
    feats = _image_embeddings(model, data, **extract_kwargs)
    scale = logit_scale_of(model)
    frame = feats.frame
    probs = np.zeros((len(feats), len(t.classes)))
    sides = frame["laterality"].astype(str).to_numpy() if t.lateral else np.full(len(feats), "L")
    for side in np.unique(sides):
        m = sides == side
        cls = class_embeddings(model, t.prompts(side if side in ("L", "R") else "L"))
        probs[m] = zero_shot_probs(feats.X[m], cls, scale)
    scores = probs[:, 1] if t.binary else probs
    labels = [t.label] if t.label in frame.columns else []
    if breast_level:
        breasts, b_scores = per_breast(frame, scores, labels)
    else:
        breasts, b_scores = frame.reset_index(drop=True), scores
    if labels:
        y = pd.to_numeric(breasts[t.label], errors="coerce").to_numpy(float)
        name, value = task_metric(y, b_scores)
    else:
        name, value = ("auc" if t.binary else "accuracy"), float("nan")
    return ZeroShotResult(t, scores, frame, breasts, b_scores, name, value)
