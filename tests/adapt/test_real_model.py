"""adapt against the real model zoo (mammoclip-tiny at a small size), not only stand-ins."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def clip():
    from mammofm.models import create_model

    return create_model("mammoclip-tiny", seed=0, image_size=(128, 80)).eval()


def test_dense_cell_of_a_one_cell_map_is_the_image_embedding(clip):
    from mammofm.adapt.heatmap import _dense_embeddings, _parts

    _, fmap, head, proj = _parts(clip)
    x = torch.rand(2, 1, 32, 32)  # stride 32: the coarsest map is 1x1
    with torch.no_grad():
        m = fmap(x)
        assert m.shape[-2:] == (1, 1)
        cell = _dense_embeddings(m, head, proj)[:, 0, 0]
        torch.testing.assert_close(cell, clip.encode_image(x), atol=1e-5, rtol=1e-5)


def test_heatmaps_and_features_on_mammoclip_tiny(clip):
    from mammofm.adapt import extract_features
    from mammofm.adapt.heatmap import text_heatmaps
    from mammofm.adapt.zeroshot import class_embeddings
    from mammofm.adapt.prompts import TASKS

    x = torch.rand(3, 1, 128, 80)
    cls = torch.from_numpy(class_embeddings(clip, TASKS["mass"].prompts("L"))).float()
    for method in ("dense", "gradcam"):
        maps = text_heatmaps(clip, x, cls[1], negative_emb=cls[0], method=method, stitch=2)
        assert maps.shape == (3, 128, 80) and torch.isfinite(maps).all()
    items = [{"image": x[i], "image_id": f"i{i}", "study_id": "s", "patient_id": "p",
              "laterality": "L", "view": "CC", "labels": {}} for i in range(3)]
    f = extract_features(clip, items, progress=False)
    assert f.X.shape == (3, clip.visual.num_features)
