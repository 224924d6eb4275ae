from __future__ import annotations

import numpy as np
import pytest

from mammofm.data import transforms as T


def _sample(h: int = 96, w: int = 64) -> dict:
    img = np.linspace(0, 1, h * w, dtype=np.float32).reshape(h, w)
    mask = np.zeros((h, w), bool)
    mask[30:50, 20:36] = True
    boxes = np.array([[20, 30, 36, 50]], np.float32)
    return {"image": img, "mask": mask, "boxes": boxes, "box_labels": np.array([0])}


def _mask_box(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


@pytest.mark.parametrize("seed", range(8))
def test_affine_moves_box_and_mask_together(seed: int) -> None:
    t = T.RandomAffine(seed, degrees=10, scale=(0.8, 1.2), translate=(0.1, 0.1))
    out = t(_sample())
    assert out["boxes"].shape == (1, 4)
    np.testing.assert_allclose(_mask_box(out["mask"]), out["boxes"][0], atol=1.0)
    assert not np.allclose(out["boxes"][0], [20, 30, 36, 50], atol=0.5)  # it did move


def test_pure_translation_is_exact() -> None:
    m = np.array([[1.0, 0.0, 5.0], [0.0, 1.0, -7.0]])
    out = T.apply_affine(_sample(), m)
    np.testing.assert_array_equal(out["boxes"][0], [25, 23, 41, 43])
    np.testing.assert_array_equal(_mask_box(out["mask"]), [25, 23, 41, 43])
    np.testing.assert_allclose(out["image"][10, 5 + 5], _sample()["image"][17, 5], atol=1e-6)


def test_same_seed_same_draw_different_seed_different_draw() -> None:
    a = T.default_augment(7)(_sample(), key=(0, 3))
    b = T.default_augment(7)(_sample(), key=(0, 3))
    c = T.default_augment(8)(_sample(), key=(0, 3))
    np.testing.assert_array_equal(a["image"], b["image"])
    np.testing.assert_array_equal(a["boxes"], b["boxes"])
    assert not np.array_equal(a["image"], c["image"])
    # unkeyed calls follow the transform's own seeded stream
    s1, s2 = T.RandomGamma(1), T.RandomGamma(1)
    np.testing.assert_array_equal(s1(_sample())["image"], s2(_sample())["image"])


def test_box_pushed_out_is_dropped_with_its_label() -> None:
    m = np.array([[1.0, 0.0, 60.0], [0.0, 1.0, 0.0]])  # shifts the lesion off the right edge
    out = T.apply_affine(_sample(), m)
    assert out["boxes"].shape == (0, 4) and out["box_labels"].shape == (0,)
    m = np.array([[1.0, 0.0, 36.0], [0.0, 1.0, 0.0]])  # half of it still inside: kept, clipped
    out = T.apply_affine(_sample(), m)
    np.testing.assert_array_equal(out["boxes"], [[56, 30, 64, 50]])


def test_intensity_transforms_keep_range_and_leave_geometry() -> None:
    s = _sample()
    for t in (T.RandomGamma(0), T.RandomContrast(0), T.RandomNoise(0, std=(0.05, 0.1))):
        out = t(s)
        assert out["image"].dtype == np.float32
        assert out["image"].min() >= 0 and out["image"].max() <= 1
        assert not np.array_equal(out["image"], s["image"])
        np.testing.assert_array_equal(out["boxes"], s["boxes"])
        np.testing.assert_array_equal(out["mask"], s["mask"])


def test_resize_scales_boxes_and_mask() -> None:
    out = T.Resize((48, 32))(_sample())
    assert out["image"].shape == (48, 32) and out["mask"].shape == (48, 32)
    np.testing.assert_allclose(out["boxes"][0], [10, 15, 18, 25])
    np.testing.assert_allclose(_mask_box(out["mask"]), [10, 15, 18, 25], atol=1)


@pytest.mark.parametrize("angle,scale,tx,ty", [(0.0, 1.1, 5, -3), (7.0, 1.0, 0, 0),
                                                (-5.0, 0.9, 3, 4)])
def test_affine_agrees_with_torchvision_v2(angle: float, scale: float, tx: int, ty: int) -> None:
    """Reference check: the hand-built affine moves boxes and masks as torchvision does."""
    import math

    import torch
    from torchvision import tv_tensors
    from torchvision.transforms.v2 import functional as F

    s = _sample()
    h, w = s["image"].shape
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) * scale
    centre = np.array([w / 2, h / 2])
    m = np.concatenate([rot, (centre + [tx, ty] - rot @ centre)[:, None]], axis=1)
    ours = T.apply_affine(s, m)
    kw = dict(angle=angle, translate=[tx, ty], scale=scale, shear=[0.0, 0.0])
    ref_boxes = F.affine(tv_tensors.BoundingBoxes(torch.tensor(s["boxes"]), format="XYXY",
                                                  canvas_size=(h, w)), **kw)
    ref_mask = F.affine(torch.from_numpy(s["mask"]).float()[None], **kw,
                        interpolation=F.InterpolationMode.NEAREST)[0].numpy() > 0.5
    ref_img = F.affine(torch.from_numpy(s["image"])[None], **kw,
                       interpolation=F.InterpolationMode.BILINEAR)[0].numpy()
    np.testing.assert_allclose(ours["boxes"], ref_boxes.numpy(), atol=1e-3)
    assert (ours["mask"] != ref_mask).sum() <= 0.01 * s["mask"].sum()
    inside = ref_img > 0  # compare where both have content (borders differ by a pixel)
    assert np.abs(ours["image"][inside] - ref_img[inside]).mean() < 0.01


def test_multichannel_image_moves_like_its_mask() -> None:
    s = _sample()
    s["image"] = np.stack([s["mask"].astype(np.float32)] * 3)   # (3, H, W)
    out = T.default_augment(5)(s, key=(0, 0))
    assert out["image"].shape == (3, 96, 64)
    bright = out["image"][1] > 0.5
    assert abs(int(bright.sum()) - int(out["mask"].sum())) <= 0.1 * out["mask"].sum()
