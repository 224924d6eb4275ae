from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mammofm.adapt import extract_features
from mammofm.adapt.prompts import TASKS, get_task
from mammofm.adapt.zeroshot import (class_embeddings, ensemble, logit_scale_of, zero_shot,
                                    zero_shot_probs)
from mammofm.birads import BIRADS_CLASSES, COMPOSITION_CLASSES, lexicon


def test_prompts_come_from_the_lexicon_and_name_the_side():
    mass = TASKS["mass"].prompts("R")
    assert len(mass) == 2 and all(len(ps) >= 3 for ps in mass)
    side = lexicon.phrase("laterality", "R")
    assert all(side in p.lower() for ps in mass for p in ps)
    assert all(lexicon.phrase("laterality", "L") not in p.lower() for ps in mass for p in ps)
    assert any(lexicon.phrase("kind", "mass") in p for p in mass[1])
    comp = TASKS["composition"].prompts("L")
    assert len(comp) == len(COMPOSITION_CLASSES)
    for c, ps in zip(COMPOSITION_CLASSES, comp):
        assert ps[0].startswith(lexicon.phrase("composition", c))
        assert len(ps) == len(set(ps)) >= 3
    assert len(TASKS["birads"].prompts("L")) == len(BIRADS_CLASSES)
    assert len(TASKS["malignancy"].prompts("L")) == 2
    with pytest.raises(KeyError, match="unknown zero-shot task"):
        get_task("nope")


class FixedText(nn.Module):
    """encode_text returns a fixed vector per known prompt: ensemble arithmetic by hand."""

    def __init__(self, table: dict[str, list[float]], scale: float = 2.0) -> None:
        super().__init__()
        self.table = table
        self.logit_scale = nn.Parameter(torch.tensor(float(np.log(scale))))

    def encode_text(self, texts, normalize=True):
        z = torch.tensor([self.table[t] for t in texts], dtype=torch.float32)
        return nn.functional.normalize(z, dim=-1) if normalize else z


def test_ensemble_arithmetic():
    model = FixedText({"a1": [1, 0], "a2": [0, 3], "b1": [-1, 0]})
    emb = class_embeddings(model, [["a1", "a2"], ["b1"]])
    s = np.sqrt(0.5)
    np.testing.assert_allclose(emb, [[s, s], [-1, 0]], atol=1e-7)
    np.testing.assert_allclose(ensemble([np.array([[2.0, 0], [0, 1]])]), [[s, s]])
    assert logit_scale_of(model) == pytest.approx(2.0)
    p = zero_shot_probs(np.array([[1.0, 0.0], [0.0, 5.0]]), emb, scale=2.0)
    logits = 2.0 * np.array([[s, -1.0], [s, 0.0]])
    ref = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(p, ref)
    with pytest.raises(ValueError, match="at least one prompt"):
        class_embeddings(model, [["a1"], []])


def test_zero_shot_shapes_and_breast_means(tiny_clip, blob_data):
    feats = extract_features(tiny_clip, blob_data, kind="embedding", progress=False)
    res = zero_shot(tiny_clip, feats, "mass")
    n_breasts = len(blob_data) // 2
    assert res.image_scores.shape == (len(blob_data),)
    assert res.breast_scores.shape == (n_breasts,)
    assert np.all((res.image_scores > 0) & (res.image_scores < 1))
    # breast score = mean of its two views
    np.testing.assert_allclose(res.breast_scores,
                               res.image_scores.reshape(n_breasts, 2).mean(axis=1))
    assert res.metric_name == "auc" and 0 <= res.metric <= 1
    comp = zero_shot(tiny_clip, blob_data, "composition", progress=False)
    assert comp.breast_scores.shape == (n_breasts, 4)
    np.testing.assert_allclose(comp.breast_scores.sum(axis=1), 1.0)
    assert comp.metric_name == "accuracy"


def test_lateral_prompts_follow_the_image_side(tiny_clip, blob_data):
    feats = extract_features(tiny_clip, blob_data, kind="embedding", progress=False)
    res = zero_shot(tiny_clip, feats, "mass", breast_level=False)
    left = (feats.frame["laterality"] == "L").to_numpy()
    cls_r = class_embeddings(tiny_clip, TASKS["mass"].prompts("R"))
    p_r = zero_shot_probs(feats.X[~left], cls_r, logit_scale_of(tiny_clip))[:, 1]
    np.testing.assert_allclose(res.image_scores[~left], p_r)
