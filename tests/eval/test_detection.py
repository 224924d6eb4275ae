"""The lesion-detection task: the torchvision wiring, box mapping, bad input, and learning."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from mammofm.common.geometry import fit_transform
from mammofm.data.cohort import Cohort
from mammofm.eval.base import BenchContext, BenchModel, Budget, TaskError, get_task, list_tasks
from mammofm.eval.metrics.detection import DetectionMetrics, Detections, Targets
from mammofm.eval.tasks.detection import (DetectorConfig, boxes_to_original, build_detector,
                                          detections_frame, detector_losses, load_dense)


class TinyTower(nn.Module):
    """ImageEncoder contract stand-in: maps at strides 4, 8, 16 (coarsest last)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_chans = 1
        self.num_features = 32
        self.feature_info = [{"num_chs": 8, "reduction": 4}, {"num_chs": 16, "reduction": 8},
                             {"num_chs": 32, "reduction": 16}]
        self.s1 = nn.Sequential(nn.Conv2d(1, 8, 3, 4, 1), nn.ReLU())
        self.s2 = nn.Sequential(nn.Conv2d(8, 16, 3, 2, 1), nn.ReLU())
        self.s3 = nn.Sequential(nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU())

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        a = self.s1(x)
        b = self.s2(a)
        return [a, b, self.s3(b)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[-1].mean((2, 3))


def blob_cohort(root: Path, n_patients: int = 6, size: tuple[int, int] = (64, 48),
                seed: int = 0, n_test: int = 2) -> Cohort:
    """Noisy images with bright discs ("masses"), their boxes and masks, split by patient."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    rows, anns = [], []
    for p in range(n_patients):
        for lat in "LR":
            iid = f"p{p}{lat}"
            img = np.clip(0.3 + 0.05 * rng.standard_normal((h, w)), 0, 1)
            for k in range(int(rng.integers(0, 3))):
                r, cx, cy = rng.uniform(4, 7), rng.uniform(8, w - 8), rng.uniform(8, h - 8)
                m = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
                img[m] = 0.9
                cv2.imwrite(str(root / "masks" / f"{iid}_{k}.png"), m.astype(np.uint8) * 255)
                ys, xs = np.nonzero(m)
                anns.append({"image_id": iid, "study_id": f"s{p}", "laterality": lat,
                             "view": "CC", "finding_index": k, "kind": "mass",
                             "x0": float(xs.min()), "y0": float(ys.min()),
                             "x1": float(xs.max() + 1), "y1": float(ys.max() + 1),
                             "mask_path": str(root / "masks" / f"{iid}_{k}.png"),
                             "pathology": "benign"})
            cv2.imwrite(str(root / "images" / f"{iid}.png"), (img * 65535).astype(np.uint16))
            t = fit_transform((2 * h, 3 * w), (0, 0, 2 * h, 3 * w), size, lat == "R")
            rows.append({"image_id": iid, "patient_id": f"p{p}", "study_id": f"s{p}",
                         "laterality": lat, "view": "CC",
                         "image_path": str(root / "images" / f"{iid}.png"),
                         "orig_height": 2 * h, "orig_width": 3 * w, "crop_box": t.crop_box,
                         "scale": t.scale, "pad": t.pad, "flipped": lat == "R",
                         "split": "test" if p >= n_patients - n_test else "train",
                         "status": "ok", "error": ""})
    return Cohort(pd.DataFrame(rows), pd.DataFrame(anns), {})


def test_tasks_are_registered_with_both_protocols():
    tasks = dict(list_tasks("detection"))
    assert {"lesion_detection", "lesion_detection_finetune"} <= set(tasks)
    assert get_task("lesion_detection").protocol == "light_head"
    assert get_task("lesion_detection_finetune").protocol == "finetune"


def test_detector_is_a_torchvision_model_and_losses_match_its_forward():
    # 64x32: a multiple of 32, so torchvision's batching adds no padding and the two agree
    torch.manual_seed(0)
    det = build_detector(TinyTower(), num_classes=2, image_size=(64, 32),
                         config=DetectorConfig(min_stride=4, fpn_channels=8, box_head_dim=16))
    assert det.backbone.out_channels == 8 and det.backbone.strides == [4, 8, 16]
    x = torch.rand(2, 1, 64, 32)
    targets = [{"boxes": torch.tensor([[5.0, 6.0, 20.0, 25.0]]), "labels": torch.tensor([1])},
               {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.long)}]
    det.train()
    torch.manual_seed(1)
    ref = float(sum(det(list(x), targets).values()).detach())  # torchvision's own training forward
    torch.manual_seed(1)
    maps = det.backbone.encoder.forward_features(x)
    ours = float(detector_losses(det, [maps[i] for i in det.backbone.levels], targets,
                                 (64, 32)).detach())
    # (not bit-exact: torchvision resamples the batch at scale 1.0 on the way in)
    assert np.isfinite(ref) and ours == pytest.approx(ref, rel=1e-3)
    det.eval()
    with torch.no_grad():
        out = det(list(x))
    assert len(out) == 2 and set(out[0]) == {"boxes", "scores", "labels"}


def test_boxes_map_back_to_original_pixels():
    t = fit_transform((400, 300), (20, 10, 380, 290), (64, 48), True)
    row = {"orig_height": 400, "orig_width": 300, "crop_box": t.crop_box, "scale": t.scale,
           "pad": t.pad, "flipped": True}
    orig = np.array([[40.0, 100.0, 120.0, 200.0]])
    back = boxes_to_original(t.boxes_to_output(orig), row, (64, 48))
    assert np.allclose(back, orig, atol=1e-6)
    assert np.isnan(boxes_to_original(orig, {"scale": 1.0}, (64, 48))).all()  # no geometry


def test_load_dense_reads_boxes_masks_and_skips_unreadable(tmp_path):
    coh = blob_cohort(tmp_path)
    bad = coh.manifest.index[coh.manifest["split"] == "train"][0]
    Path(coh.manifest.loc[bad, "image_path"]).write_bytes(b"not a png")
    ctx = BenchContext(cohort=coh, out_dir=tmp_path / "out")
    data = load_dense(ctx, "internal", ("train",))
    assert len(data) == (coh.manifest["split"] == "train").sum() - 1
    assert len(data.skipped) == 1 and coh.manifest.loc[bad, "image_path"] in data.skipped[0]
    n_boxes = sum(len(b) for b in data.boxes)
    expected = coh.annotations["image_id"].isin(data.frame["image_id"]).sum()
    assert n_boxes == expected and data.masks.sum() > 0
    # every mask pixel lies inside its image's boxes
    for i in range(len(data)):
        ys, xs = np.nonzero(data.masks[i, 0].numpy())
        for y, x in zip(ys, xs):
            assert any(b[0] <= x < b[2] and b[1] <= y < b[3] for b in data.boxes[i])


def test_detections_frame_carries_both_frames(tmp_path):
    coh = blob_cohort(tmp_path, n_patients=2)
    ctx = BenchContext(cohort=coh, out_dir=tmp_path / "out")
    data = load_dense(ctx, "internal", ("test",))
    preds = [Detections([[4.0, 4.0, 12.0, 12.0]], [0.7], [1]) for _ in range(len(data))]
    df = detections_frame(preds, data)
    assert list(df["kind"].unique()) == ["calcification"] and len(df) == len(data)
    row = data.frame.iloc[0]
    expected = boxes_to_original(np.array([[4.0, 4.0, 12.0, 12.0]]), row, data.size)[0]
    assert np.allclose(df.iloc[0][["orig_x0", "orig_y0", "orig_x1", "orig_y1"]], expected)


def test_no_lesions_to_learn_from_is_a_precise_error(tmp_path):
    coh = blob_cohort(tmp_path, n_patients=3)
    coh.annotations = coh.annotations.iloc[0:0]
    ctx = BenchContext(cohort=coh, out_dir=tmp_path / "out")
    with pytest.raises(TaskError, match="0 lesion boxes"):
        get_task("lesion_detection").run(BenchModel("tiny", TinyTower()), ctx)


def _baselines(test, size: tuple[int, int], seed: int = 0) -> dict[str, dict[str, float]]:
    """Whole-image box and random boxes (five per image, lesion-sized) on the test images."""
    h, w = size
    gen = np.random.default_rng(seed)
    targets = [Targets(b, lab) for b, lab in zip(test.boxes, test.labels)]
    out = {}
    whole = DetectionMetrics(class_names=["mass", "calcification", "asymmetry",
                                          "architectural_distortion", "lymph_node"])
    whole.update([Detections([[0, 0, w, h]], [1.0], [0]) for _ in targets], targets)
    out["whole"] = whole.aggregate()
    rand = DetectionMetrics(class_names=list(whole.class_names))
    sides = np.concatenate([b[:, 2:] - b[:, :2] for b in test.boxes if len(b)]).mean(0)
    for t in targets:
        xy = gen.uniform(0, 1, (5, 2)) * [w - sides[0], h - sides[1]]
        rand.update([Detections(np.concatenate([xy, xy + sides], 1), gen.uniform(0, 1, 5),
                                [0] * 5)], [t])
    out["random"] = rand.aggregate()
    return out


def tiny_tower_on_blobs(tmp_path: Path, budget: Budget) -> tuple[BenchModel, BenchContext]:
    """mammoclip-tiny's tower (seed 0) and a context on a 24-patient blob cohort at 128x80
    with 6 test patients: the setting of the dense learning tests."""
    from mammofm.models import create_model

    coh = blob_cohort(tmp_path / "c", n_patients=24, size=(128, 80), n_test=6)
    torch.manual_seed(0)
    encoder = create_model("mammoclip-tiny").visual
    return BenchModel("tiny", encoder), BenchContext(cohort=coh, out_dir=tmp_path / "bench",
                                                     seed=0, budget=budget)


@pytest.mark.slow
def test_detector_beats_trivial_baselines_on_held_out_images(tmp_path):
    model, ctx = tiny_tower_on_blobs(tmp_path, Budget(head_steps=120, bootstrap=50, batch_size=8))
    res = get_task("lesion_detection").run(model, ctx)
    test = load_dense(ctx, "internal", ("test",))
    base = _baselines(test, test.size)
    assert res.primary == "froc_mean" and res.metrics["n_lesions"] >= 5
    for b in base.values():
        assert res.metrics["froc_mean"] > b["froc_mean"] + 0.3
        assert res.metrics["map50"] > b["map50"] + 0.1
    lo, hi = res.ci["froc_mean"]
    assert lo <= res.metrics["froc_mean"] <= hi
    curve = res.curves["froc"]
    assert curve.kind == "froc" and curve.x[0] == 0 and np.all(np.diff(curve.x) >= 0)
    written = pd.read_parquet(ctx.task_dir("lesion_detection", "tiny") /
                              "detections_internal.parquet")
    assert set(written["image_id"]) <= set(test.frame["image_id"]) and len(written)
    assert written[["orig_x0", "orig_y0", "orig_x1", "orig_y1"]].notna().all().all()


def test_finetune_trains_a_copy_and_leaves_the_model_alone(tmp_path):
    coh = blob_cohort(tmp_path, n_patients=4)
    torch.manual_seed(0)
    tower = TinyTower()
    before = {k: v.clone() for k, v in tower.state_dict().items()}
    ctx = BenchContext(cohort=coh, out_dir=tmp_path / "out",
                       budget=Budget(head_steps=3, batch_size=4, bootstrap=10,
                                     extra={"finetune_steps": 2, "min_stride": 4}))
    res = get_task("lesion_detection_finetune").run(BenchModel("tiny", tower), ctx)
    assert res.notes.startswith("finetune") and "froc" in res.curves
    assert all(torch.equal(before[k], v) for k, v in tower.state_dict().items())
    assert 0 <= res.metrics["froc_mean"] <= 1 and set(res.ci) >= {"map50", "froc_mean"}
