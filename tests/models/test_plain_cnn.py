"""The timm-registered plain CNN (mammoclip-tiny's image tower) keeps timm's contract and lets
a small bright finding reach the pooled embedding."""

from __future__ import annotations

import timm
import torch

from mammofm.models import ImageEncoder, ImageTowerConfig
from mammofm.models.plain_cnn import PlainCNN


def test_registered_with_timm_and_speaks_its_interfaces():
    m = timm.create_model("mammofm_cnn_tiny", pretrained=False, in_chans=1, num_classes=0)
    assert isinstance(m, PlainCNN)
    x = torch.rand(2, 1, 128, 80)
    pooled = m(x)
    assert pooled.shape == (2, m.num_features)
    fmap = m.forward_features(x)
    assert torch.allclose(m.forward_head(fmap, pre_logits=True), pooled)
    inter = m.forward_intermediates(x, intermediates_only=True)
    assert [t.shape[1] for t in inter] == [d["num_chs"] for d in m.feature_info]
    assert [128 // t.shape[2] for t in inter] == [d["reduction"] for d in m.feature_info]
    m.reset_classifier(3)
    assert m(x).shape == (2, 3)


def test_pretrained_weights_are_refused():
    try:
        timm.create_model("mammofm_cnn_tiny", pretrained=True)
    except ValueError as exc:
        assert "no published weights" in str(exc)
    else:
        raise AssertionError("pretrained=True must fail: there is nothing to load")


def test_max_pooling_lets_a_small_spot_change_the_embedding():
    """A 3x3 bright spot in a 128x80 frame moves the pooled vector of a random-init tower far
    more than the same energy spread flat would (the point of the design)."""
    torch.manual_seed(0)
    enc = ImageEncoder(ImageTowerConfig(timm_name="mammofm_cnn_tiny", image_size=(128, 80))).eval()
    base = torch.full((1, 1, 128, 80), 0.3)
    spot = base.clone()
    spot[..., 60:63, 40:43] = 1.0
    flat = base + (0.7 * 9 / (128 * 80))
    with torch.no_grad():
        e0, e_spot, e_flat = enc(base), enc(spot), enc(flat)
    assert (e_spot - e0).norm() > 5 * (e_flat - e0).norm()


def test_catavgmax_pooling_concatenates_mean_and_max():
    m = timm.create_model("mammofm_cnn_tiny", in_chans=1, num_classes=0, global_pool="catavgmax")
    x = torch.rand(2, 1, 64, 40)
    fmap = m.forward_features(x)
    pooled = m(x)
    assert pooled.shape == (2, 2 * fmap.shape[1]) and m.num_features == 2 * fmap.shape[1]
    assert torch.allclose(pooled[:, :fmap.shape[1]], fmap.mean(dim=(2, 3)), atol=1e-6)
    assert torch.allclose(pooled[:, fmap.shape[1]:], fmap.amax(dim=(2, 3)))
    try:
        timm.create_model("mammofm_cnn_tiny", global_pool="avg")
    except ValueError as exc:
        assert "catavgmax" in str(exc)
    else:
        raise AssertionError("an unknown pooling must be refused")
