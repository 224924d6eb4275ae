"""Lesion detection: a torchvision Faster R-CNN on the image tower through a feature pyramid.

One task over every box class of ``mammofm.data.BOX_CLASSES`` (mass, calcification, ...)
rather than one task per kind: one detector sees all lesions (as VinDr-Mammo labels them), the
CPU budget pays for one training run, per-class AP still reports each kind, and FROC (the
screening figure: lesions found at a tolerated false-positive rate) is class-agnostic.

The encoder's ``forward_features`` maps (stride >= ``min_stride``) feed
``torchvision.ops.FeaturePyramidNetwork``; ``EncoderFPN`` wraps both as a torchvision backbone
(``out_channels``), so ``build_detector`` returns a plain ``FasterRCNN`` that also runs the usual
way (``model(images)``). Protocols:

* ``light_head``: the encoder is frozen; its maps are computed once (cached in ``ctx.cache`` and
  shared with the segmentation task) and the FPN, RPN and box head train on them for
  ``budget.head_steps`` steps;
* ``finetune``: that light-head stage, then a copy of the encoder trains with everything for
  ``budget.finetune_epochs`` epochs (encoder at ``finetune_lr``, heads at 10x): linear-probe-then-
  fine-tune, which learns in a small budget where heads trained from scratch with a moving
  encoder do not.

Metrics (mAP@0.5 via pycocotools, FROC) are in the preprocessed frame. Detections are written
to ``<task dir>/detections_<site>.parquet`` in both frames: ``boxes_to_original`` maps through
``FrameTransform.from_row`` of the image's manifest row.
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..base import (BenchContext, BenchModel, Budget, Curve, Task, TaskError, TaskResult,
                    register_task)
from ..metrics.detection import DetectionMetrics, Detections, FrocCurve, Targets

if TYPE_CHECKING:
    import torch
    from torch import nn


# --- data shared by the dense (detection, segmentation) tasks -------------------------------
@dataclass
class DenseSet:
    """The images of one site and split with their boxes and masks, in memory.

    ``images`` (N, C, H, W) float in [0, 1]; ``boxes`` / ``labels`` one array per image
    (labels index ``BOX_CLASSES``); ``masks`` (N, 1, H, W) float (union of lesion masks).
    ``frame`` holds the manifest rows in the same order; ``skipped`` the images that failed.
    """

    frame: pd.DataFrame
    images: torch.Tensor
    boxes: list[np.ndarray]
    labels: list[np.ndarray]
    masks: torch.Tensor
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def size(self) -> tuple[int, int]:
        return int(self.images.shape[-2]), int(self.images.shape[-1])


def load_dense(ctx: BenchContext, site: str, splits: Sequence[str], in_chans: int = 1,
               max_images: int | None = None, seed: int = 0) -> DenseSet:
    """Read the usable images of ``splits`` of a site (external: all of them as "test").

    An image that cannot be read is skipped and named in ``skipped`` (the task carries on);
    images of a size other than the first one's are an error naming the file.
    """
    import torch

    from mammofm.data import MammoImageDataset

    from ..features import site_frame

    frames = [site_frame(ctx, site, s) for s in splits]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if max_images is not None and len(frame) > max_images:
        keep = np.sort(np.random.default_rng(seed).choice(len(frame), max_images, replace=False))
        frame = frame.iloc[keep].reset_index(drop=True)
    ds = MammoImageDataset(frame, annotations=ctx.cohort_of(site).annotations,
                           label_columns=[], in_chans=in_chans)
    images, masks, boxes, labels, rows, skipped = [], [], [], [], [], []
    size: tuple[int, ...] | None = None
    for i in range(len(ds)):
        path = str(ds.manifest.iloc[i].get("image_path", ""))
        try:
            item = ds[i]
        except Exception as exc:  # unreadable image or mask: record and carry on
            skipped.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        if size is None:
            size = tuple(item["image"].shape)
        elif tuple(item["image"].shape) != size:
            raise TaskError(f"{path}: image is {tuple(item['image'].shape)}, the others are "
                            f"{size}; dense tasks need one preprocessed size")
        images.append(item["image"])
        masks.append(item["mask"])
        b, lab = _clean_boxes(item["boxes"].numpy(), item["box_labels"].numpy(), size[-2:])
        boxes.append(b)
        labels.append(lab)
        rows.append(i)
    if not images:
        c, h, w = in_chans, 1, 1
        return DenseSet(ds.manifest.iloc[0:0], torch.zeros(0, c, h, w), [], [],
                        torch.zeros(0, 1, h, w), skipped)
    return DenseSet(ds.manifest.iloc[rows].reset_index(drop=True), torch.stack(images), boxes,
                    labels, torch.stack(masks), skipped)


def _clean_boxes(boxes: np.ndarray, labels: np.ndarray, size: Sequence[int]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Clip to the image and drop boxes under 1 px a side (they have no regression target)."""
    h, w = int(size[0]), int(size[1])
    b = np.asarray(boxes, np.float32).reshape(-1, 4).copy()
    b[:, [0, 2]] = b[:, [0, 2]].clip(0, w)
    b[:, [1, 3]] = b[:, [1, 3]].clip(0, h)
    ok = ((b[:, 2] - b[:, 0]) >= 1) & ((b[:, 3] - b[:, 1]) >= 1)
    return b[ok], np.asarray(labels, np.int64).reshape(-1)[ok]


def select_levels(feature_info: Sequence[dict[str, int]], min_stride: int) -> list[int]:
    """Indices of the encoder maps with stride >= ``min_stride`` (the coarsest one at least)."""
    idx = [i for i, d in enumerate(feature_info) if int(d["reduction"]) >= min_stride]
    return idx or [len(feature_info) - 1]


def encode_maps(encoder: nn.Module, images: torch.Tensor, levels: Sequence[int],
                batch_size: int, device: str = "cpu") -> list[torch.Tensor]:
    """The chosen ``forward_features`` maps of every image, without gradients (on CPU)."""
    import torch

    was_training = encoder.training
    encoder.eval()
    out: list[list[torch.Tensor]] = [[] for _ in levels]
    with torch.no_grad():
        for s in range(0, len(images), batch_size):
            maps = encoder.forward_features(images[s:s + batch_size].to(device))
            for k, li in enumerate(levels):
                out[k].append(maps[li].cpu())
    encoder.train(was_training)
    return [torch.cat(o) if o else torch.zeros(0) for o in out]


def frozen_maps(model: BenchModel, ctx: BenchContext, site: str, data: DenseSet,
                key: tuple[Any, ...], levels: Sequence[int]) -> list[torch.Tensor]:
    """``encode_maps`` of the (frozen) encoder, cached in ``ctx.cache`` across dense tasks."""
    k = ("dense_maps", model.name, site, key, tuple(levels), tuple(data.frame["image_id"]))
    if k not in ctx.cache:
        ctx.cache[k] = encode_maps(model.encoder, data.images, levels, ctx.budget.batch_size,
                                   ctx.device)
    return ctx.cache[k]


def boxes_to_original(boxes: np.ndarray, row: Any, out_size: tuple[int, int]) -> np.ndarray:
    """Preprocessed-frame boxes of one image -> its original pixels (NaN without geometry)."""
    from mammofm.common.geometry import FrameTransform

    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    try:
        ft = FrameTransform.from_row(row, out_size)
    except (KeyError, TypeError, ValueError):
        return np.full_like(b, np.nan)
    return ft.boxes_to_original(b)


# --- the detector ---------------------------------------------------------------------------
@dataclass
class DetectorConfig:
    """Detector size and training knobs; every field can be set through the budget
    (``budget.extra["lesion_detection.fpn_channels"] = 32``)."""

    fpn_channels: int = 32
    min_stride: int = 8                         # finest encoder map used (stride 4 costs 4x)
    anchor_scales: tuple[float, ...] = (1.0, 2.0, 4.0)  # anchor side = scale x stride of its level
    aspect_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)
    box_head_dim: int = 128
    rpn_batch: int = 64                         # anchors sampled per image for the RPN loss
    rpn_fg_iou: float = 0.5                     # torchvision's 0.7 leaves small lesions few
    rpn_bg_iou: float = 0.3                     # positive anchors
    roi_batch: int = 64                         # proposals sampled per image for the box loss
    detections_per_img: int = 20                # enough to reach 4 FP/image on the FROC curve
    score_thresh: float = 0.01
    grad_clip: float = 10.0

    @classmethod
    def from_budget(cls, budget: Budget, task: str) -> DetectorConfig:
        kw = {}
        for f in fields(cls):
            v = budget.get(f.name, None, task=task)
            if v is not None:
                kw[f.name] = tuple(v) if isinstance(v, list) else v
        return cls(**kw)


def _encoder_module() -> Any:
    from torch import nn

    class EncoderFPN(nn.Module):
        """An ImageEncoder's maps through a FeaturePyramidNetwork: a torchvision backbone."""

        def __init__(self, encoder: nn.Module, channels: int, min_stride: int) -> None:
            from torchvision.ops import FeaturePyramidNetwork

            super().__init__()
            info = list(encoder.feature_info)
            self.encoder = encoder
            self.levels = select_levels(info, min_stride)
            self.strides = [int(info[i]["reduction"]) for i in self.levels]
            chans = [int(info[i]["num_chs"]) for i in self.levels]
            # encoder maps come at any scale (a randomly initialised deep stage gives ~1e-6):
            # a BatchNorm per level brings each to unit scale before the pyramid
            self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in chans)
            self.fpn = FeaturePyramidNetwork(chans, channels)
            self.out_channels = channels
            self.freeze_encoder = False

        def pyramid(self, maps: Sequence[torch.Tensor]) -> OrderedDict[str, torch.Tensor]:
            """Selected encoder maps (finest first) -> FPN maps "0" (finest) ... "n-1"."""
            return self.fpn(OrderedDict((str(k), norm(m)) for k, (norm, m)
                                        in enumerate(zip(self.norms, maps))))

        def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor]:
            import torch

            with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_encoder):
                maps = self.encoder.forward_features(x)
            return self.pyramid([maps[i] for i in self.levels])

    return EncoderFPN


def build_detector(encoder: nn.Module, num_classes: int, image_size: tuple[int, int],
                   config: DetectorConfig | None = None) -> nn.Module:
    """A torchvision FasterRCNN on ``encoder`` (``num_classes`` lesion classes + background).

    Images go in at their preprocessed size (no resize) and un-normalised: the encoder
    normalises its own input.
    """
    from torchvision.models.detection import FasterRCNN
    from torchvision.models.detection.anchor_utils import AnchorGenerator
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from torchvision.ops import MultiScaleRoIAlign

    cfg = config or DetectorConfig()
    backbone = _encoder_module()(encoder, cfg.fpn_channels, cfg.min_stride)
    n = len(backbone.strides)
    anchors = AnchorGenerator(
        sizes=tuple(tuple(float(s * st) for s in cfg.anchor_scales) for st in backbone.strides),
        aspect_ratios=(tuple(cfg.aspect_ratios),) * n)
    pool = MultiScaleRoIAlign([str(i) for i in range(n)], output_size=7, sampling_ratio=2)
    h, w = int(image_size[0]), int(image_size[1])
    c = int(getattr(encoder, "in_chans", 1))
    return FasterRCNN(
        backbone, num_classes=None, min_size=min(h, w), max_size=max(h, w),
        image_mean=[0.0] * c, image_std=[1.0] * c,
        rpn_anchor_generator=anchors, box_roi_pool=pool,
        box_head=TwoMLPHead(cfg.fpn_channels * 49, cfg.box_head_dim),
        box_predictor=FastRCNNPredictor(cfg.box_head_dim, num_classes + 1),
        rpn_pre_nms_top_n_train=600, rpn_post_nms_top_n_train=300,
        rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=100,
        rpn_batch_size_per_image=cfg.rpn_batch, box_batch_size_per_image=cfg.roi_batch,
        rpn_fg_iou_thresh=cfg.rpn_fg_iou, rpn_bg_iou_thresh=cfg.rpn_bg_iou,
        box_score_thresh=cfg.score_thresh, box_detections_per_img=cfg.detections_per_img)


def _image_list(n: int, size: tuple[int, int]) -> Any:
    import torch
    from torchvision.models.detection.image_list import ImageList

    # the RPN reads only the batch shape from the tensor: a broadcast view costs nothing
    return ImageList(torch.zeros(1, 1, 1, 1).expand(n, 1, *size), [size] * n)


def _targets(data: DenseSet, idx: Sequence[int]) -> list[dict[str, torch.Tensor]]:
    import torch

    return [{"boxes": torch.from_numpy(data.boxes[i]).float().reshape(-1, 4),
             "labels": torch.from_numpy(data.labels[i]).long() + 1} for i in idx]


def detector_losses(model: nn.Module, maps: Sequence[torch.Tensor],
                    targets: list[dict[str, torch.Tensor]], size: tuple[int, int]
                    ) -> torch.Tensor:
    """Sum of the RPN and box losses from (selected) encoder maps: the FasterRCNN forward
    minus the encoder, so frozen maps can be cached."""
    feats = model.backbone.pyramid(maps)
    il = _image_list(len(targets), size)
    proposals, rpn_losses = model.rpn(il, feats, targets)
    _, box_losses = model.roi_heads(feats, proposals, il.image_sizes, targets)
    return sum(rpn_losses.values()) + sum(box_losses.values())


def detector_predict(model: nn.Module, maps: Sequence[torch.Tensor], size: tuple[int, int]
                     ) -> list[Detections]:
    """Detections (labels index BOX_CLASSES) from encoder maps, eval mode, no gradients."""
    import torch

    model.eval()
    with torch.no_grad():
        feats = model.backbone.pyramid(maps)
        il = _image_list(int(maps[0].shape[0]), size)
        proposals, _ = model.rpn(il, feats)
        dets, _ = model.roi_heads(feats, proposals, il.image_sizes)
    return [Detections(d["boxes"], d["scores"], d["labels"] - 1) for d in dets]


def _train(model: nn.Module, steps: int, batch: int, seed: int, data: DenseSet,
           maps_of: Any, params: list[dict[str, Any]], grad_clip: float,
           description: str) -> list[float]:
    """``steps`` AdamW steps on random batches; ``maps_of(idx)`` gives the batch's maps."""
    import torch
    from rich.progress import Progress

    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(params, weight_decay=1e-4)
    losses: list[float] = []
    order = torch.randperm(len(data), generator=gen).tolist()
    pos = 0
    with Progress(transient=True) as bar:
        t = bar.add_task(description, total=steps)
        for _ in range(steps):
            if pos + batch > len(order):
                order, pos = torch.randperm(len(data), generator=gen).tolist(), 0
            idx = order[pos:pos + batch]
            pos += batch
            loss = detector_losses(model, maps_of(idx), _targets(data, idx), data.size)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in params for p in g["params"]], grad_clip)
            opt.step()
            losses.append(float(loss.detach()))
            bar.advance(t)
    return losses


def finetune_steps(budget: Budget, task: str, n_images: int) -> int:
    """Fine-tuning steps: ``finetune_steps`` if the budget sets it, else ``finetune_epochs``
    passes over ``n_images``."""
    steps = budget.get("finetune_steps", None, task=task)
    if steps is not None:
        return int(steps)
    per_epoch = math.ceil(n_images / max(1, min(int(budget.batch_size), n_images)))
    return int(budget.get("finetune_epochs", 1, task=task)) * per_epoch


# --- the task -------------------------------------------------------------------------------
def _froc_curve(curve: FrocCurve, label: str) -> Curve:
    keep = np.isfinite(curve.sensitivity)
    return Curve("froc", curve.fp_per_image[keep].tolist(), curve.sensitivity[keep].tolist(),
                 xlabel="false positives per image", ylabel="sensitivity", label=label)


class DenseTask(Task):
    """A dense-prediction task on the encoder's maps: light head (frozen) or fine-tune."""

    protocol = "light_head"

    def __init__(self, protocol: str = "light_head", name: str | None = None) -> None:
        if protocol not in ("light_head", "finetune"):
            raise ValueError(f"{type(self).name}: protocol {protocol!r} is not light_head or "
                             "finetune")
        self.protocol = protocol  # type: ignore[misc]
        self.name = name or type(self).name  # type: ignore[misc]

    def _seeded_train_split(self, model: BenchModel, ctx: BenchContext
                            ) -> tuple[int, nn.Module, DenseSet]:
        """(seed, encoder, internal train+val images) of one run: torch seeded, and the encoder
        a copy under fine-tuning so the caller's model is never changed."""
        import torch

        seed = ctx.seed_for(self.name, model.name)
        torch.manual_seed(seed)
        encoder = copy.deepcopy(model.encoder) if self.protocol == "finetune" else model.encoder
        train = load_dense(ctx, "internal", ("train", "val"), int(getattr(encoder, "in_chans", 1)),
                           ctx.budget.get("max_train_images", task=self.name), seed)
        return seed, encoder, train


class LesionDetectionTask(DenseTask):
    """Detect lesions (every BOX_CLASSES kind) with a Faster R-CNN + FPN on the encoder."""

    name = "lesion_detection"
    category = "detection"
    primary = "froc_mean"
    description = "lesion detection: Faster R-CNN + FPN on the image tower (mAP@0.5, FROC)"

    def run(self, model: BenchModel, ctx: BenchContext) -> TaskResult:
        import torch

        from mammofm.data import BOX_CLASSES

        b = ctx.budget
        cfg = DetectorConfig.from_budget(b, self.name)
        seed, encoder, train = self._seeded_train_split(model, ctx)
        n_boxes = sum(len(x) for x in train.boxes)
        if len(train) < 2 or n_boxes == 0:
            raise TaskError(f"{self.name}: the internal train/val split has {len(train)} "
                            f"usable images and {n_boxes} lesion boxes; nothing to learn from")
        det = build_detector(encoder, len(BOX_CLASSES), train.size, cfg).to(ctx.device)
        levels = det.backbone.levels
        batch = min(int(b.batch_size), len(train))

        # stage 1: FPN + RPN + box head on the frozen encoder's cached maps
        maps = frozen_maps(model, ctx, "internal", train, ("train", "val"), levels)
        heads = [p for n, p in det.named_parameters() if not n.startswith("backbone.encoder.")]
        det.train()
        losses = _train(det, int(b.get("head_steps", task=self.name)), batch, seed, train,
                        lambda idx: [m[idx].to(ctx.device) for m in maps],
                        [{"params": heads, "lr": float(b.get("head_lr", task=self.name))}],
                        cfg.grad_clip, f"{self.name} heads")
        # stage 2 (finetune): everything, the encoder copy included
        if self.protocol == "finetune":
            lr = float(b.get("finetune_lr", task=self.name))
            enc = list(det.backbone.encoder.parameters())
            for p in enc:
                p.requires_grad_(True)
            images = train.images

            def maps_of(idx: list[int]) -> list[torch.Tensor]:
                out = det.backbone.encoder.forward_features(images[idx].to(ctx.device))
                return [out[i] for i in levels]

            det.train()
            losses += _train(det, finetune_steps(b, self.name, len(train)), batch, seed + 1,
                             train, maps_of, [{"params": enc, "lr": lr},
                                              {"params": heads, "lr": 10 * lr}],
                             cfg.grad_clip, f"{self.name} fine-tune")
        if not all(math.isfinite(v) for v in losses):
            raise TaskError(f"{self.name}: training diverged (non-finite loss)")

        results: dict[str, Any] = {}
        for site, _ in ctx.sites():
            results[site] = self._evaluate(det, model, ctx, site, levels, seed)
        internal = results["internal"]
        notes = (f"{self.protocol}; Faster R-CNN + FPN ({cfg.fpn_channels} ch, strides "
                 f"{det.backbone.strides}); trained on {len(train)} images / {n_boxes} boxes; "
                 f"final loss {np.mean(losses[-10:]):.3f}; FROC hit = IoU >= 0.3")
        skipped = train.skipped + [s for r in results.values() for s in r["skipped"]]
        if skipped:
            notes += f"; skipped {len(skipped)} unreadable image(s), first: {skipped[0]}"
        out = TaskResult(metrics=internal["metrics"], primary=self.primary, ci=internal["ci"],
                         curves={"froc": internal["curve"]}, notes=notes)
        if "external" in results:
            ext = results["external"]
            out.external, out.external_ci = ext["metrics"], ext["ci"]
            out.curves["external/froc"] = ext["curve"]
        return out

    def _evaluate(self, det: nn.Module, model: BenchModel, ctx: BenchContext, site: str,
                  levels: Sequence[int], seed: int) -> dict[str, Any]:
        from mammofm.common.atomic import atomic_path
        from mammofm.data import BOX_CLASSES

        test = load_dense(ctx, site, ("test",), int(getattr(model.encoder, "in_chans", 1)))
        if len(test) == 0:
            raise TaskError(f"{self.name}: the {site} site has no usable test images")
        if self.protocol == "light_head":
            maps = frozen_maps(model, ctx, site, test, ("test",), levels)
        else:
            maps = encode_maps(det.backbone.encoder, test.images, levels, ctx.budget.batch_size,
                               ctx.device)
        preds: list[Detections] = []
        bs = int(ctx.budget.batch_size)
        for s in range(0, len(test), bs):
            preds += detector_predict(det, [m[s:s + bs].to(ctx.device) for m in maps],
                                      test.size)
        metric = DetectionMetrics(class_names=list(BOX_CLASSES))
        metric.update(preds, [Targets(b, lab) for b, lab in zip(test.boxes, test.labels)])
        values = metric.aggregate()
        values = {k: v for k, v in values.items()
                  if not (k.startswith("ap50_") and math.isnan(v))}  # classes absent here
        values["n_images"] = float(len(test))
        values["n_lesions"] = float(sum(len(x) for x in test.boxes))
        keys = ["map50", "froc_mean", "sens@1fp"]
        ci = metric.bootstrap(n_resamples=int(ctx.budget.bootstrap),
                              seed=ctx.seed_for(self.name, model.name, site), keys=keys)
        curve = metric.froc()
        with atomic_path(ctx.task_dir(self.name, model.name) / f"detections_{site}.parquet"
                         ) as tmp:
            detections_frame(preds, test).to_parquet(tmp, index=False)
        return {"metrics": values, "ci": ci, "skipped": test.skipped,
                "curve": _froc_curve(curve, f"mean sens {values['froc_mean']:.2f}")}


def detections_frame(preds: Sequence[Detections], data: DenseSet) -> pd.DataFrame:
    """One row per detection: image_id, class, score, box in the preprocessed frame (x0..y1)
    and in the original image's pixels (orig_x0..orig_y1)."""
    from mammofm.data import BOX_CLASSES

    rows = []
    for p, (_, row) in zip(preds, data.frame.iterrows()):
        orig = boxes_to_original(p.boxes, row, data.size)
        for box, ob, s, lab in zip(p.boxes, orig, p.scores, p.labels):
            rows.append({"image_id": str(row["image_id"]), "kind": BOX_CLASSES[int(lab)],
                         "score": float(s), "x0": box[0], "y0": box[1], "x1": box[2],
                         "y1": box[3], "orig_x0": ob[0], "orig_y0": ob[1], "orig_x1": ob[2],
                         "orig_y1": ob[3]})
    cols = ["image_id", "kind", "score", "x0", "y0", "x1", "y1", "orig_x0", "orig_y0",
            "orig_x1", "orig_y1"]
    return pd.DataFrame(rows, columns=cols)


# --- the registry lines ---------------------------------------------------------------------
#: (task name, protocol)
DETECTION_TASKS: tuple[tuple[str, str], ...] = (
    ("lesion_detection", "light_head"),
    ("lesion_detection_finetune", "finetune"),
)


def _factory(protocol: str, name: str) -> LesionDetectionTask:
    return LesionDetectionTask(protocol, name)


for _name, _protocol in DETECTION_TASKS:
    register_task(lambda p=_protocol, n=_name: _factory(p, n), name=_name, category="detection",
                  protocol=_protocol,
                  description=f"lesion detection, mAP@0.5 + FROC ({_protocol.replace('_', ' ')})")

__all__ = ["DETECTION_TASKS", "DenseSet", "DetectorConfig", "LesionDetectionTask",
           "boxes_to_original", "build_detector", "detections_frame", "detector_losses",
           "detector_predict", "encode_maps", "frozen_maps", "load_dense", "select_levels"]
