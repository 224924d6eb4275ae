"""Dice / IoU against hand-computed answers and scikit-learn's F1 / Jaccard per image."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, jaccard_score

from mammofm.eval.metrics.segmentation import SegmentationMetrics, dice_iou


def square(y0, x0, y1, x1, shape=(16, 16)):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_dice_iou_by_hand():
    g = square(0, 0, 4, 4)  # 16 px
    p = square(0, 2, 4, 6)  # 16 px, overlap 8
    assert dice_iou(p, g) == pytest.approx((16 / 32, 8 / 24))
    assert dice_iou(g, g) == (1.0, 1.0)
    assert dice_iou(np.zeros_like(g), g) == (0.0, 0.0)


def test_empty_mask_conventions():
    e = np.zeros((8, 8), bool)
    assert dice_iou(e, e) == (1.0, 1.0)
    assert dice_iou(square(0, 0, 1, 1, (8, 8)), e) == (0.0, 0.0)


def test_matches_sklearn_per_image():
    gen = np.random.default_rng(0)
    for _ in range(5):
        g = gen.random((20, 12)) > 0.6
        p = gen.random((20, 12)) > 0.5
        d, j = dice_iou(p, g)
        assert d == pytest.approx(f1_score(g.ravel(), p.ravel()))
        assert j == pytest.approx(jaccard_score(g.ravel(), p.ravel()))


def test_accumulator_summaries():
    g_les, g_empty = square(0, 0, 4, 4), np.zeros((16, 16), bool)
    m = SegmentationMetrics()
    # probabilities are thresholded at 0.5
    m.update([square(0, 2, 4, 6).astype(float) * 0.9, np.zeros((16, 16))], [g_les, g_empty])
    m.update([square(0, 0, 1, 1)], [g_empty])  # false positive on an empty image
    out = m.aggregate()
    assert out["dice"] == pytest.approx(0.5) and out["iou"] == pytest.approx(1 / 3)
    assert out["dice_all"] == pytest.approx((0.5 + 1 + 0) / 3)
    assert out["empty_correct"] == pytest.approx(0.5)
    assert out["n_lesion"] == 1 and out["n_empty"] == 2
    with pytest.raises(ValueError, match="shapes differ"):
        m.update([np.zeros((4, 4))], [np.zeros((5, 5))])
    m.reset()
    assert np.isnan(m.aggregate()["dice"])


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    gen = np.random.default_rng(1)
    m = SegmentationMetrics()
    for _ in range(30):
        y, x = gen.integers(0, 8, 2)
        g = square(y, x, y + 6, x + 6)
        p = np.roll(g, int(gen.integers(0, 4)), axis=0)  # Dice 1, 5/6, 4/6 or 3/6
        m.update([p], [g])
    ci = m.bootstrap(n_resamples=300, seed=5)
    assert ci == m.bootstrap(n_resamples=300, seed=5)
    est = m.aggregate()
    for k in ("dice", "iou"):
        lo, hi = ci[k]
        assert lo < est[k] < hi and hi - lo < 0.3
