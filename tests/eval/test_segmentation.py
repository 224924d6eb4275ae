"""The lesion-segmentation task: decoder shapes, loss, mask mapping, bad input, and learning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mammofm.common.geometry import fit_transform
from mammofm.eval.base import BenchContext, BenchModel, Budget, TaskError, get_task, list_tasks
from mammofm.eval.metrics.segmentation import SegmentationMetrics
from mammofm.eval.tasks.detection import load_dense
from mammofm.eval.tasks.segmentation import (DecoderConfig, build_decoder, mask_to_original,
                                             segmentation_loss)
from test_detection import TinyTower, blob_cohort, tiny_tower_on_blobs


def test_tasks_are_registered_with_both_protocols():
    assert {"lesion_segmentation", "lesion_segmentation_finetune"} <= set(
        dict(list_tasks("segmentation")))
    assert get_task("lesion_segmentation_finetune").protocol == "finetune"


def test_decoder_gives_one_logit_per_pixel_and_gradients_reach_it():
    tower = TinyTower()
    dec = build_decoder(tower.feature_info, DecoderConfig(channels=8, min_stride=4))
    assert dec.levels == [0, 1, 2]
    x = torch.rand(2, 1, 64, 48)
    maps = tower.forward_features(x)
    logits = dec(maps, (64, 48))
    assert logits.shape == (2, 1, 64, 48)
    target = torch.zeros_like(logits)
    target[:, :, 10:20, 10:20] = 1
    segmentation_loss(logits, target).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in dec.parameters())


def test_loss_prefers_the_right_mask():
    target = torch.zeros(1, 1, 16, 16)
    target[..., 4:8, 4:8] = 1
    right = torch.where(target > 0, 6.0, -6.0)
    wrong = torch.where(target > 0, -6.0, 6.0)
    assert segmentation_loss(right, target) < 0.05 < 1.0 < segmentation_loss(wrong, target)


def test_mask_maps_back_to_original_pixels():
    t = fit_transform((200, 120), (0, 0, 200, 120), (100, 60), True)
    row = {"orig_height": 200, "orig_width": 120, "crop_box": t.crop_box, "scale": t.scale,
           "pad": t.pad, "flipped": True}
    orig = np.zeros((200, 120), bool)
    orig[40:80, 10:50] = True
    back = mask_to_original(t.mask_to_output(orig), row, (100, 60))
    assert back is not None and (back & orig).sum() / (back | orig).sum() > 0.9
    assert mask_to_original(orig, {}, (100, 60)) is None


def test_no_masks_to_learn_from_is_a_precise_error(tmp_path):
    coh = blob_cohort(tmp_path, n_patients=3)
    coh.annotations = coh.annotations.iloc[0:0]
    ctx = BenchContext(cohort=coh, out_dir=tmp_path / "out")
    with pytest.raises(TaskError, match="0 with a lesion mask"):
        get_task("lesion_segmentation").run(BenchModel("tiny", TinyTower()), ctx)


def _baselines(test) -> dict[str, float]:
    """Dice on the lesion images of all-background and of a disc at the image centre (the
    mean lesion area of the test set, so it is not penalised for size)."""
    h, w = test.size
    masks = test.masks[:, 0].numpy() > 0.5
    area = masks.sum((1, 2))[masks.any((1, 2))].mean()
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    blob = (xx - w / 2) ** 2 + (yy - h / 2) ** 2 <= area / np.pi
    out = {}
    for name, pred in (("background", np.zeros((h, w), bool)), ("centre", blob)):
        m = SegmentationMetrics()
        m.update([pred] * len(masks), list(masks))
        out[name] = m.aggregate()["dice"]
    return out


@pytest.mark.slow
def test_decoder_beats_trivial_baselines_on_held_out_images(tmp_path):
    model, ctx = tiny_tower_on_blobs(tmp_path, Budget(head_steps=150, bootstrap=100, batch_size=8))
    res = get_task("lesion_segmentation").run(model, ctx)
    base = _baselines(load_dense(ctx, "internal", ("test",)))
    assert res.primary == "dice" and res.metrics["n_lesion"] >= 5
    assert res.metrics["dice"] > max(base.values()) + 0.2
    lo, hi = res.ci["dice"]
    assert lo <= res.metrics["dice"] <= hi
    per_image = pd.read_parquet(ctx.task_dir("lesion_segmentation", "tiny") /
                                "segmentation_internal.parquet")
    assert len(per_image) == res.metrics["n_lesion"] + res.metrics["n_empty"]
    assert per_image.loc[per_image["has_lesion"], "dice"].mean() == pytest.approx(
        res.metrics["dice"])


def test_finetune_trains_a_copy_and_leaves_the_model_alone(tmp_path):
    coh = blob_cohort(tmp_path, n_patients=4)
    torch.manual_seed(0)
    tower = TinyTower()
    before = {k: v.clone() for k, v in tower.state_dict().items()}
    ctx = BenchContext(cohort=coh, out_dir=tmp_path / "out",
                       budget=Budget(head_steps=3, batch_size=4, bootstrap=10,
                                     extra={"finetune_steps": 2, "min_stride": 4}))
    res = get_task("lesion_segmentation_finetune").run(BenchModel("tiny", tower), ctx)
    assert res.notes.startswith("finetune")
    assert all(torch.equal(before[k], v) for k, v in tower.state_dict().items())
    assert 0 <= res.metrics["dice_all"] <= 1 and "dice" in res.ci
