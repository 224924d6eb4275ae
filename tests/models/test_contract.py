"""Contract tests over every registered model: finite outputs, every parameter gets a gradient,
feature maps match ``feature_info`` and the image size. The b2/b5 towers are big: they run at a
tiny input with the small text tower (their hub text tower is never fetched in tests)."""

from __future__ import annotations

import pytest
import torch

from mammofm.models import create_model, get_config, list_models

SMALL = {"mammoclip-tiny": (128, 80)}


def _build(name: str):
    cfg = get_config(name)
    overrides = {"image_size": SMALL.get(name, (64, 64))}
    if cfg.text.kind != "bert-small":
        overrides["text"] = {"kind": "bert-small", "source": None, "max_length": 32}
    return create_model(name, seed=0, **overrides)


@pytest.mark.parametrize("name", list_models())
def test_model_contract(name):
    torch.manual_seed(0)
    model = _build(name)
    model.train()
    h, w = model.visual.image_size
    x = torch.rand(2, model.visual.in_chans, h, w)
    texts = ["scattered fibroglandular density", "irregular mass with spiculated margins"]
    feats = model.visual.forward_features(x)
    info = model.visual.feature_info
    assert len(feats) == len(info) >= 3
    for f, fi in zip(feats, info):
        assert f.shape[:2] == (2, fi["num_chs"])
        assert f.shape[2] == -(-h // fi["reduction"]) and f.shape[3] == -(-w // fi["reduction"])
    strides = [fi["reduction"] for fi in info]
    assert strides == sorted(strides)  # coarsest last
    pooled = model.visual(x)
    assert pooled.shape == (2, model.visual.num_features)
    img = model.encode_image(x)
    txt = model.encode_text(texts)
    assert img.shape == txt.shape == (2, model.config.embed_dim)
    assert torch.isfinite(img).all() and torch.isfinite(txt).all()
    assert torch.allclose(img.norm(dim=-1), torch.ones(2), atol=1e-5)
    logits = model.scale() * img @ txt.t()
    loss = logits.logsumexp(1).mean() - logits.diag().mean() + sum(f.mean() for f in feats)
    loss.backward()
    no_grad = [n for n, p in model.named_parameters()
               if p.requires_grad and (p.grad is None or not torch.isfinite(p.grad).all())]
    assert not no_grad, f"parameters without a finite gradient: {no_grad[:10]}"
    assert model.scale().item() == pytest.approx(1 / 0.07, rel=1e-5)
