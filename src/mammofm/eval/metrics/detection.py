"""Lesion-detection metrics: COCO mAP (through pycocotools) and FROC.

Both work on per-image records in one pixel frame (the preprocessed frame in the benchmark):

* ``Detections``: predicted ``boxes`` (N, 4) x0, y0, x1, y1, ``scores`` (N,), ``labels`` (N,).
* ``Targets``: ground-truth ``boxes`` (M, 4) and ``labels`` (M,).

mAP is pycocotools' COCOeval (101-point interpolated AP, all areas, 100 detections per image) at
one IoU threshold; this module only converts records into COCO structures in memory.

FROC (free-response ROC) is written here, as no maintained library computes it. Conventions:

* a prediction *hits* a lesion when IoU >= ``iou_threshold`` (default 0.3: lenient because
  localising a small lesion's edge matters less than finding it), or, with
  ``criterion="center"``, when the prediction's centre lies inside the lesion box;
* a lesion counts as found at threshold t when any prediction with score >= t hits it (several
  hits on one lesion count once); a prediction that hits no lesion is a false positive; a
  prediction that hits an already-found lesion is neither;
* class-agnostic by default (any predicted class may find any lesion); ``class_aware=True``
  asks for matching labels;
* sensitivity at a rate r of false positives per image is the best sensitivity reached at any
  threshold whose FP/image is <= r (a step curve, no interpolation).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

#: the FP-per-image rates the benchmark reports
FROC_RATES: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)


def _as_boxes(b: Any) -> np.ndarray:
    arr = np.asarray(b.detach().cpu().numpy() if hasattr(b, "detach") else b, dtype=np.float64)
    return arr.reshape(-1, 4)


def _as_vec(v: Any, dtype: type) -> np.ndarray:
    return np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v,
                      dtype=dtype).reshape(-1)


@dataclass
class Detections:
    """Predictions for one image (boxes in pixels, x0, y0, x1, y1)."""

    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        self.boxes = _as_boxes(self.boxes)
        self.scores = _as_vec(self.scores, np.float64)
        self.labels = _as_vec(self.labels, np.int64)
        if not len(self.boxes) == len(self.scores) == len(self.labels):
            raise ValueError(f"detections: {len(self.boxes)} boxes, {len(self.scores)} scores, "
                             f"{len(self.labels)} labels")


@dataclass
class Targets:
    """Ground-truth lesions for one image."""

    boxes: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        self.boxes = _as_boxes(self.boxes)
        self.labels = _as_vec(self.labels, np.int64)
        if len(self.boxes) != len(self.labels):
            raise ValueError(f"targets: {len(self.boxes)} boxes, {len(self.labels)} labels")


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) x (M, 4) -> (N, M) IoU of pixel-edge boxes (0 where a box has no area)."""
    a, b = _as_boxes(a), _as_boxes(b)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


# --- mAP through pycocotools ----------------------------------------------------------------

def to_coco(preds: Sequence[Detections], targets: Sequence[Targets],
            class_ids: Iterable[int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Records -> (COCO ground-truth dataset dict, COCO result list); image ids are positions."""
    cats = [{"id": int(c) + 1, "name": str(c)} for c in class_ids]  # COCO ids start at 1
    images, gts, dts = [], [], []
    for i, (p, t) in enumerate(zip(preds, targets, strict=True)):
        images.append({"id": i + 1})
        for box, lab in zip(t.boxes, t.labels):
            w, h = float(box[2] - box[0]), float(box[3] - box[1])
            gts.append({"id": len(gts) + 1, "image_id": i + 1, "category_id": int(lab) + 1,
                        "bbox": [float(box[0]), float(box[1]), w, h], "area": w * h,
                        "iscrowd": 0})
        for box, lab, s in zip(p.boxes, p.labels, p.scores):
            w, h = float(box[2] - box[0]), float(box[3] - box[1])
            dts.append({"id": len(dts) + 1, "image_id": i + 1, "category_id": int(lab) + 1,
                        "bbox": [float(box[0]), float(box[1]), w, h], "area": w * h,
                        "score": float(s), "iscrowd": 0})
    return {"images": images, "annotations": gts, "categories": cats}, dts


def coco_average_precision(preds: Sequence[Detections], targets: Sequence[Targets],
                           class_ids: Iterable[int], iou_threshold: float = 0.5
                           ) -> dict[int, float]:
    """Per-class AP at one IoU threshold from pycocotools (NaN for a class with no lesion)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    class_ids = [int(c) for c in class_ids]
    gt_dict, dts = to_coco(preds, targets, class_ids)
    out = {c: float("nan") for c in class_ids}
    if not gt_dict["annotations"]:
        return out
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        gt = COCO()
        gt.dataset = gt_dict
        gt.createIndex()
        dt = COCO()
        dt.dataset = {"images": gt_dict["images"], "categories": gt_dict["categories"],
                      "annotations": dts}
        dt.createIndex()
        ev = COCOeval(gt, dt, iouType="bbox")
        ev.params.iouThrs = np.array([iou_threshold])
        ev.evaluate()
        ev.accumulate()
    prec = ev.eval["precision"]  # (T=1, R=101, K, A=4, M=3); -1 where no ground truth
    for k, c in enumerate(ev.params.catIds):
        p = prec[0, :, k, 0, -1]  # area "all", maxDets 100
        if np.all(p < 0):
            continue
        out[c - 1] = float(np.mean(np.where(p < 0, 0.0, p)))
    return out


def mean_average_precision(preds: Sequence[Detections], targets: Sequence[Targets],
                           class_ids: Iterable[int], iou_threshold: float = 0.5) -> float:
    """COCO-style mAP: the mean of per-class AP over classes that have a lesion (NaN if none)."""
    ap = [v for v in coco_average_precision(preds, targets, class_ids, iou_threshold).values()
          if not np.isnan(v)]
    return float(np.mean(ap)) if ap else float("nan")


# --- FROC ---------------------------------------------------------------------------------

@dataclass
class FrocImage:
    """What FROC needs from one image: each lesion's best hitting score (-inf if never hit)
    and the scores of the predictions that hit no lesion."""

    lesion_scores: np.ndarray
    fp_scores: np.ndarray


def froc_image(pred: Detections, target: Targets, *, criterion: Literal["iou", "center"] = "iou",
               iou_threshold: float = 0.3, class_aware: bool = False) -> FrocImage:
    """Reduce one image to its FROC record under the module's hit conventions."""
    n, m = len(pred.boxes), len(target.boxes)
    if criterion == "iou":
        hit = box_iou(pred.boxes, target.boxes) >= iou_threshold
    elif criterion == "center":
        cx = (pred.boxes[:, 0] + pred.boxes[:, 2])[:, None] / 2
        cy = (pred.boxes[:, 1] + pred.boxes[:, 3])[:, None] / 2
        tb = target.boxes
        hit = ((cx >= tb[None, :, 0]) & (cx <= tb[None, :, 2])
               & (cy >= tb[None, :, 1]) & (cy <= tb[None, :, 3]))
    else:
        raise ValueError(f"unknown FROC hit criterion {criterion!r} (iou or center)")
    hit = hit.reshape(n, m)
    if class_aware:
        hit &= pred.labels[:, None] == target.labels[None, :]
    scores = np.where(hit, pred.scores[:, None], -np.inf)
    lesion = scores.max(axis=0) if n else np.full(m, -np.inf)
    fp = pred.scores[~hit.any(axis=1)] if m else pred.scores
    return FrocImage(lesion.astype(np.float64), np.asarray(fp, dtype=np.float64))


@dataclass
class FrocCurve:
    """FP per image and sensitivity at each score threshold (descending thresholds)."""

    fp_per_image: np.ndarray
    sensitivity: np.ndarray
    thresholds: np.ndarray

    def sensitivity_at(self, rates: Iterable[float] = FROC_RATES) -> dict[float, float]:
        """Best sensitivity at <= r false positives per image, for each rate r."""
        out = {}
        for r in rates:
            ok = self.fp_per_image <= r + 1e-12
            out[float(r)] = float(self.sensitivity[ok].max()) if ok.any() else 0.0
        return out


def froc_curve(records: Sequence[FrocImage]) -> FrocCurve:
    """The FROC curve over images; starts at (0, 0) for the threshold above every score."""
    n_img = len(records)
    lesions = np.concatenate([r.lesion_scores for r in records]) if records else np.zeros(0)
    fps = np.concatenate([r.fp_scores for r in records]) if records else np.zeros(0)
    thr = np.unique(np.concatenate([lesions[np.isfinite(lesions)], fps]))[::-1]
    thr = np.concatenate([[np.inf], thr])
    les_sorted, fp_sorted = np.sort(lesions), np.sort(fps)
    # count of values >= t for each threshold t
    found = len(les_sorted) - np.searchsorted(les_sorted, thr, side="left")
    fpc = len(fp_sorted) - np.searchsorted(fp_sorted, thr, side="left")
    sens = found / len(lesions) if len(lesions) else np.full(len(thr), np.nan)
    return FrocCurve(fpc / max(n_img, 1), sens.astype(np.float64), thr)


# --- accumulate / aggregate -----------------------------------------------------------------

def _percentile_ci(values: np.ndarray, alpha: float) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if not len(v):
        return float("nan"), float("nan")
    return (float(np.quantile(v, alpha / 2)), float(np.quantile(v, 1 - alpha / 2)))


@dataclass
class DetectionMetrics:
    """Accumulates per-image predictions and targets; ``aggregate`` gives mAP and FROC.

    ``class_names`` maps class index -> name (per-class AP is reported under the name).
    """

    class_names: Sequence[str]
    map_iou: float = 0.5
    froc_criterion: Literal["iou", "center"] = "iou"
    froc_iou: float = 0.3
    rates: tuple[float, ...] = FROC_RATES
    preds: list[Detections] = field(default_factory=list)
    targets: list[Targets] = field(default_factory=list)

    def reset(self) -> None:
        self.preds.clear()
        self.targets.clear()

    def update(self, preds: Iterable[Detections | dict[str, Any]],
               targets: Iterable[Targets | dict[str, Any]]) -> None:
        """Add a batch; dicts with torchvision's keys (boxes, scores, labels) are accepted."""
        for p, t in zip(preds, targets, strict=True):
            self.preds.append(p if isinstance(p, Detections) else
                              Detections(p["boxes"], p["scores"], p["labels"]))
            self.targets.append(t if isinstance(t, Targets) else
                                Targets(t["boxes"], t["labels"]))

    def _froc_records(self, idx: Sequence[int] | None = None) -> list[FrocImage]:
        idx = range(len(self.preds)) if idx is None else idx
        return [froc_image(self.preds[i], self.targets[i], criterion=self.froc_criterion,
                           iou_threshold=self.froc_iou) for i in idx]

    def _summary(self, idx: Sequence[int]) -> dict[str, float]:
        preds = [self.preds[i] for i in idx]
        targets = [self.targets[i] for i in idx]
        ap = coco_average_precision(preds, targets, range(len(self.class_names)), self.map_iou)
        valid = [v for v in ap.values() if not np.isnan(v)]
        tag = f"{round(self.map_iou * 100)}"
        out: dict[str, float] = {f"map{tag}": float(np.mean(valid)) if valid else float("nan")}
        for c, name in enumerate(self.class_names):
            out[f"ap{tag}_{name}"] = ap[c]
        curve = froc_curve(self._froc_records(idx))
        sens = curve.sensitivity_at(self.rates)
        for r, s in sens.items():
            out[f"sens@{r:g}fp"] = s
        out["froc_mean"] = float(np.mean(list(sens.values())))
        return out

    def aggregate(self) -> dict[str, float]:
        """mapNN, apNN_<class>, sens@<r>fp for each rate, froc_mean (mean of those)."""
        return self._summary(range(len(self.preds)))

    def froc(self) -> FrocCurve:
        return froc_curve(self._froc_records())

    def bootstrap(self, n_resamples: int = 200, seed: int = 0, alpha: float = 0.05,
                  keys: Sequence[str] | None = None, map_resamples: int = 50
                  ) -> dict[str, tuple[float, float]]:
        """Percentile CIs over images (resampled with replacement, fixed seed).

        FROC keys use ``n_resamples`` draws (cheap: per-image records are reused); AP keys
        rerun pycocotools, so they use the first ``map_resamples`` draws only (~80 ms each).
        """
        from mammofm.common.seed import rng

        n = len(self.preds)
        if n == 0:
            return {}
        draws = rng(seed, "detection-bootstrap").integers(0, n, (n_resamples, n))
        records = self._froc_records()
        keys = list(keys or self.aggregate().keys())
        froc_keys = [k for k in keys if k.startswith("sens@") or k == "froc_mean"]
        ap_keys = [k for k in keys if k not in froc_keys]
        out: dict[str, tuple[float, float]] = {}
        if froc_keys:
            vals: dict[str, list[float]] = {k: [] for k in froc_keys}
            for idx in draws:
                sens = froc_curve([records[i] for i in idx]).sensitivity_at(self.rates)
                row = {f"sens@{r:g}fp": v for r, v in sens.items()}
                row["froc_mean"] = float(np.mean(list(sens.values())))
                for k in froc_keys:
                    vals[k].append(row[k])
            out.update({k: _percentile_ci(np.array(v), alpha) for k, v in vals.items()})
        if ap_keys:
            summaries = [self._summary(idx.tolist()) for idx in draws[:map_resamples]]
            out.update({k: _percentile_ci(np.array([d.get(k, np.nan) for d in summaries]),
                                          alpha) for k in ap_keys})
        return {k: out[k] for k in keys if k in out}
