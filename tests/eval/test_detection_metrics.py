"""Detection metrics against hand-computed answers and against torchmetrics' COCO mAP."""

from __future__ import annotations

import numpy as np
import pytest

from mammofm.eval.metrics.detection import (
    DetectionMetrics,
    Detections,
    Targets,
    box_iou,
    coco_average_precision,
    froc_curve,
    froc_image,
    mean_average_precision,
    to_coco,
)

G1 = [10.0, 10.0, 30.0, 30.0]
G2 = [60.0, 60.0, 80.0, 80.0]
FAR = [100.0, 0.0, 120.0, 20.0]


def det(boxes, scores, labels=None):
    return Detections(np.array(boxes).reshape(-1, 4), scores,
                      labels if labels is not None else [0] * len(scores))


def tgt(boxes, labels=None):
    return Targets(np.array(boxes).reshape(-1, 4), labels if labels is not None else [0] * len(boxes))


def test_box_iou_by_hand():
    iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10], [20, 20, 30, 30]]))
    assert iou[0, 0] == pytest.approx(50 / 150)
    assert iou[0, 1] == 0


def test_to_coco_uses_xywh_and_one_based_ids():
    gt, dts = to_coco([det([[1, 2, 11, 7]], [0.5], [1])], [tgt([[0, 0, 4, 3]], [0])], [0, 1])
    assert gt["annotations"][0]["bbox"] == [0, 0, 4, 3] and gt["annotations"][0]["area"] == 12
    assert gt["annotations"][0]["category_id"] == 1
    assert dts[0]["bbox"] == [1, 2, 10, 5] and dts[0]["category_id"] == 2
    assert [c["id"] for c in gt["categories"]] == [1, 2]


@pytest.mark.parametrize("preds, targets, expected", [
    # perfect detection
    ([det([G1], [0.9])], [tgt([G1])], 1.0),
    # a higher-scored false positive before the hit: precision 1/2 at every recall
    ([det([FAR, G1], [0.9, 0.8])], [tgt([G1])], 0.5),
    # one of two lesions found first: precision 1 up to recall 0.5 (51 of 101 points)
    ([det([G1], [0.9])], [tgt([G1, G2])], 51 / 101),
    # no prediction at all
    ([det(np.zeros((0, 4)), [])], [tgt([G1])], 0.0),
    # a lesion-free image's false positive ranked below the hit costs nothing
    ([det([G1], [0.9]), det([FAR], [0.1])], [tgt([G1]), tgt(np.zeros((0, 4)))], 1.0),
    # ... ranked above it halves precision
    ([det([G1], [0.5]), det([FAR], [0.9])], [tgt([G1]), tgt(np.zeros((0, 4)))], 0.5),
])
def test_map_known_answers(preds, targets, expected):
    assert mean_average_precision(preds, targets, [0]) == pytest.approx(expected, abs=1e-9)


def test_map_averages_only_classes_with_lesions():
    preds = [det([G1, FAR], [0.9, 0.8], [0, 1])]
    targets = [tgt([G1, G2], [0, 1])]
    ap = coco_average_precision(preds, targets, [0, 1, 2])
    assert ap[0] == pytest.approx(1.0) and ap[1] == pytest.approx(0.0) and np.isnan(ap[2])
    assert mean_average_precision(preds, targets, [0, 1, 2]) == pytest.approx(0.5)
    # the IoU threshold matters: a box with IoU 1/3 is a hit at 0.3, a miss at 0.5
    shifted = [det([[15, 10, 35, 30]], [0.9])]  # IoU with G1 = 300/500 = 0.6 ; use a wider one
    wide = [det([[10, 10, 70, 30]], [0.9])]  # IoU with G1 = 400/1200
    assert mean_average_precision(shifted, [tgt([G1])], [0], 0.5) == pytest.approx(1.0)
    assert mean_average_precision(wide, [tgt([G1])], [0], 0.5) == pytest.approx(0.0)
    assert mean_average_precision(wide, [tgt([G1])], [0], 0.3) == pytest.approx(1.0)


def random_case(seed: int, n_images: int = 12):
    gen = np.random.default_rng(seed)
    preds, targets = [], []
    for _ in range(n_images):
        m = int(gen.integers(0, 4))
        xy = gen.uniform(0, 200, (m, 2))
        gt = np.concatenate([xy, xy + gen.uniform(8, 40, (m, 2))], 1)
        gl = gen.integers(0, 2, m)
        n_fp = int(gen.integers(0, 3))
        fxy = gen.uniform(0, 200, (n_fp, 2))
        boxes = np.concatenate([gt + gen.normal(0, 4, gt.shape),
                                np.concatenate([fxy, fxy + 20], 1)]).reshape(-1, 4)
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
        labels = np.concatenate([gl, gen.integers(0, 2, n_fp)])
        preds.append(Detections(boxes, gen.uniform(0, 1, len(boxes)), labels))
        targets.append(Targets(gt, gl))
    return preds, targets


def test_map_matches_pycocotools_standard_route(tmp_path):
    """The reference: a COCO JSON file on disk, results through loadRes, summarize()'s AP50."""
    import contextlib
    import io
    import json

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    preds, targets = random_case(3)
    images = [{"id": i + 100} for i in range(len(preds))]
    anns, res = [], []
    for i, (p, t) in enumerate(zip(preds, targets)):
        for b, lab in zip(t.boxes, t.labels):
            w, h = b[2] - b[0], b[3] - b[1]
            anns.append({"id": len(anns) + 7, "image_id": i + 100, "category_id": int(lab) + 5,
                         "bbox": [b[0], b[1], w, h], "area": w * h, "iscrowd": 0})
        for b, lab, s in zip(p.boxes, p.labels, p.scores):
            res.append({"image_id": i + 100, "category_id": int(lab) + 5, "score": s,
                        "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]]})
    gt_file = tmp_path / "gt.json"
    gt_file.write_text(json.dumps({"images": images, "annotations": anns, "categories":
                                   [{"id": 5, "name": "a"}, {"id": 6, "name": "b"}]}))
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(str(gt_file))
        ev = COCOeval(gt, gt.loadRes(res), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
        expected = ev.stats[1]  # AP at IoU 0.5, all areas, 100 detections
        per_class = []
        for c in (5, 6):
            ev.params.catIds = [c]
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            per_class.append(ev.stats[1])
    ours = mean_average_precision(preds, targets, [0, 1])
    assert 0.05 < ours < 0.99  # a case that is neither trivial nor empty
    assert ours == pytest.approx(expected, abs=1e-9)
    ap = coco_average_precision(preds, targets, [0, 1])
    assert [ap[0], ap[1]] == pytest.approx(per_class, abs=1e-9)


def froc_case():
    preds = [det([G1, FAR, G1, G2], [0.9, 0.8, 0.7, 0.4]), det([FAR, FAR], [0.6, 0.3])]
    targets = [tgt([G1, G2]), tgt(np.zeros((0, 4)))]
    return preds, targets


def test_froc_curve_by_hand():
    preds, targets = froc_case()
    curve = froc_curve([froc_image(p, t) for p, t in zip(preds, targets)])
    # thresholds inf, .9, .8, .6, .4, .3 (the duplicate hit at .7 is neither TP nor FP)
    assert np.allclose(curve.thresholds, [np.inf, 0.9, 0.8, 0.6, 0.4, 0.3])
    assert np.allclose(curve.fp_per_image, [0, 0, 0.5, 1.0, 1.0, 1.5])
    assert np.allclose(curve.sensitivity, [0, 0.5, 0.5, 0.5, 1.0, 1.0])
    assert curve.sensitivity_at() == {0.25: 0.5, 0.5: 0.5, 1.0: 1.0, 2.0: 1.0, 4.0: 1.0}


def test_froc_hit_criteria_and_classes():
    big = [0.0, 0.0, 60.0, 60.0]  # centre (30, 30) is on G1's corner edge; IoU 400/3600
    p, t = det([big], [0.9], [1]), tgt([G1], [0])
    assert np.isinf(froc_image(p, t).lesion_scores[0])  # IoU too low
    assert froc_image(p, t, criterion="center").lesion_scores[0] == 0.9
    r = froc_image(p, t, criterion="center", class_aware=True)  # wrong class
    assert np.isinf(r.lesion_scores[0]) and list(r.fp_scores) == [0.9]
    with pytest.raises(ValueError, match="criterion"):
        froc_image(p, t, criterion="overlap")  # type: ignore[arg-type]


def test_froc_with_no_lesions_or_no_predictions():
    empty = froc_curve([froc_image(det(np.zeros((0, 4)), []), tgt([G1]))])
    assert empty.sensitivity_at()[4.0] == 0.0
    none = froc_curve([froc_image(det([FAR], [0.5]), tgt(np.zeros((0, 4))))])
    assert np.isnan(none.sensitivity).all() and np.allclose(none.fp_per_image, [0, 1])


def test_accumulator_aggregate_reset_and_bootstrap():
    preds, targets = froc_case()
    m = DetectionMetrics(class_names=["mass"])
    m.update(preds[:1], targets[:1])
    m.update([{"boxes": p.boxes, "scores": p.scores, "labels": p.labels} for p in preds[1:]],
             [{"boxes": t.boxes, "labels": t.labels} for t in targets[1:]])
    out = m.aggregate()
    assert out["sens@1fp"] == 1.0 and out["sens@0.25fp"] == 0.5
    assert out["froc_mean"] == pytest.approx((0.5 + 0.5 + 1 + 1 + 1) / 5)
    assert out["map50"] == pytest.approx(out["ap50_mass"])
    assert 0 < out["map50"] < 1
    ci = m.bootstrap(n_resamples=50, seed=1)
    assert ci == m.bootstrap(n_resamples=50, seed=1)  # fixed seed
    lo, hi = ci["froc_mean"]
    assert lo <= out["froc_mean"] <= hi
    m.reset()
    assert m.preds == [] and m.targets == []


def test_mismatched_lengths_are_errors():
    with pytest.raises(ValueError, match="2 boxes, 1 scores"):
        Detections(np.zeros((2, 4)), [0.1], [0, 0])
