from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from mammofm.adapt.heatmap import (finding_pointing_game, heatmap_peak, point_in_boxes,
                                   pointing_game, text_heatmaps)
from mammofm.adapt.prompts import TASKS


def test_pointing_game_on_hand_built_maps():
    h = np.zeros((20, 10))
    h[5, 3] = 1.0  # peak at pixel centre (3.5, 5.5)
    assert heatmap_peak(h) == (3.5, 5.5)
    assert point_in_boxes(3.5, 5.5, np.array([[3, 5, 4, 6]]))
    assert not point_in_boxes(3.5, 5.5, np.array([[4, 5, 6, 6]]))
    assert point_in_boxes(3.5, 5.5, np.array([[4, 5, 6, 6]]), tolerance=0.5)
    g = np.zeros((20, 10))
    g[15, 8] = 2.0
    g[5, 3] = 1.0
    region = np.zeros((20, 10), bool)
    region[:10] = True  # the breast: the global max at row 15 lies outside it
    hits = pointing_game([h, g, g], [np.array([[2, 4, 5, 7]]), np.array([[2, 4, 5, 7]]),
                                     np.array([[0, 0, 1, 1], [7, 14, 9, 16]])],
                         [None, region, None])
    assert hits.tolist() == [True, True, True]
    assert pointing_game([h], [np.array([[6, 6, 8, 8]])]).tolist() == [False]
    with pytest.raises(ValueError, match="heatmaps"):
        pointing_game([h], [])


def test_heatmap_shapes_both_methods(tiny_clip):
    x = torch.rand(3, 1, 64, 40)
    t = torch.nn.functional.normalize(torch.randn(8), dim=0)
    dense = text_heatmaps(tiny_clip, x, t)
    cam = text_heatmaps(tiny_clip, x, t, method="gradcam", negative_emb=-t)
    assert dense.shape == cam.shape == (3, 64, 40)
    assert torch.all(dense.abs() <= 1 + 1e-5)  # cosine similarities
    assert torch.all(cam >= 0)
    assert not any(p.grad is not None for p in tiny_clip.parameters())
    with pytest.raises(ValueError, match="method"):
        text_heatmaps(tiny_clip, x, t, method="nope")


def test_saliency_is_pixel_level_and_leaves_the_model_as_it_was(tiny_clip):
    x = torch.rand(2, 1, 64, 40)
    t = torch.nn.functional.normalize(torch.randn(8), dim=0)
    tiny_clip.train()
    sal = text_heatmaps(tiny_clip, x, t, method="saliency", negative_emb=-t, sigma=0)
    assert sal.shape == (2, 64, 40) and torch.all(sal >= 0)
    assert tiny_clip.training  # mode restored
    assert not any(p.grad is not None for p in tiny_clip.parameters())
    assert not torch.any(torch.isnan(sal))
    smooth = text_heatmaps(tiny_clip, x, t, method="saliency", sigma=3)
    assert smooth.std() < text_heatmaps(tiny_clip, x, t, method="saliency", sigma=0).std()


class SpotCLIP(nn.Module):
    """Image embedding (evidence, 1) normalised, evidence = the image weighted by a Gaussian
    spot at ``centre``: the similarity to (1, 0) depends on the pixels near the spot only."""

    def __init__(self, centre: tuple[float, float], shape=(64, 40)) -> None:
        super().__init__()
        yy, xx = torch.meshgrid(torch.arange(shape[0]) + 0.5, torch.arange(shape[1]) + 0.5,
                                indexing="ij")
        self.k = torch.exp(-((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / 8.0)

    def encode_image(self, x, normalize=True):
        ev = (x[:, 0] * self.k).sum(dim=(1, 2)) / self.k.sum()
        return torch.nn.functional.normalize(torch.stack([ev, 0.2 * torch.ones_like(ev)], 1))


@pytest.mark.parametrize("centre", [(10.5, 20.5), (30.5, 50.5), (5.5, 60.5)])
def test_saliency_peaks_where_the_model_looks(centre):
    x = torch.full((1, 1, 64, 40), 0.5) + 0.05 * torch.rand(1, 1, 64, 40)
    sal = text_heatmaps(SpotCLIP(centre), x, torch.tensor([1.0, 0.0]), method="saliency")
    px, py = heatmap_peak(sal[0].numpy())
    assert abs(px - centre[0]) <= 1.5 and abs(py - centre[1]) <= 1.5


class BrightCLIP(nn.Module):
    """Cells embed as (intensity, 1); 'present' prompts = (1, 0), 'absent' = (0, 1): the
    contrast map rises with brightness, so it must point at the bright disc."""

    def __init__(self) -> None:
        super().__init__()
        self.visual = _BrightTower()
        self.image_projection = nn.Identity()
        absent, present = TASKS["mass"].prompts("L")
        a2, p2 = TASKS["mass"].prompts("R")
        self.table = {**{p: [0.0, 1.0] for p in absent + a2},
                      **{p: [1.0, 0.0] for p in present + p2}}

    def encode_text(self, texts, normalize=True):
        return torch.tensor([self.table[t] for t in texts])


class _BrightTower(nn.Module):
    num_features = 2
    in_chans = 1

    def forward_features(self, x):
        m = nn.functional.avg_pool2d(x, 4)
        return [torch.cat([m, torch.ones_like(m)], dim=1)]

    def forward(self, x):
        return self.forward_features(x)[-1].mean(dim=(2, 3))


def test_finding_pointing_game_end_to_end(blob_data):
    frame = blob_data.frame()
    rows = []
    for i, it in enumerate(blob_data.items):
        if it["mass"]:
            cx, cy = it["centre"]
            rows.append({"image_id": it["image_id"], "kind": "mass", "x0": cx - 5,
                         "y0": cy - 5, "x1": cx + 5, "y1": cy + 5})
    ann = pd.DataFrame(rows)
    res = finding_pointing_game(BrightCLIP(), blob_data, ann, "mass", batch_size=8)
    assert len(res.hits) == int(frame["mass"].sum())
    assert res.accuracy > 0.95
    # without contrast the map is sim to (1, 0) = I / |(I, 1)|: still rises with brightness
    res2 = finding_pointing_game(BrightCLIP(), blob_data, ann, "mass", contrast=False,
                                 max_images=5)
    assert len(res2.hits) == 5 and res2.accuracy > 0.95


def test_shift_and_stitch_is_finer_and_aligned():
    # one bright 2x2 spot per image; stride-4 cells: the peak error shrinks with stitching,
    # and stays unbiased (the alignment of the interleaved grid is right)
    model = BrightCLIP()
    r = np.random.default_rng(0)
    x = torch.zeros(40, 1, 64, 40)
    centres = []
    for i in range(40):
        y0, x0 = int(r.integers(4, 58)), int(r.integers(4, 34))
        x[i, 0, y0:y0 + 2, x0:x0 + 2] = 1.0
        centres.append((x0 + 1.0, y0 + 1.0))
    centres = np.array(centres)
    errs, bias = {}, {}
    for stitch in (1, 2, 4):
        maps = text_heatmaps(model, x, torch.tensor([1.0, 0.0]), stitch=stitch)
        assert maps.shape == (40, 64, 40)
        d = np.array([heatmap_peak(m.numpy()) for m in maps]) - centres
        errs[stitch], bias[stitch] = np.abs(d).mean(), np.abs(d.mean(axis=0)).max()
    assert errs[4] <= errs[2] < errs[1]  # 0.5 px is the floor: peaks are pixel centres
    assert errs[4] <= 1.0 and bias[2] < 0.75 and bias[4] < 0.75
