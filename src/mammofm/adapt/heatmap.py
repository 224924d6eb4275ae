"""Text-prompted localisation heatmaps (Mammo-FActOR-like) and the pointing game.

Two ways to turn "where does this image look like the prompt?" into a map:

``dense`` (default): every cell of the coarsest feature map (the map the tower pools, timm's
``forward_features``) is passed alone through the tower's pooled head (for a timm CNN, pooling
a 1x1 map is the identity, so this is the head's per-location output) and the CLIP image
projection, giving one joint-space embedding per cell; the heatmap is its cosine similarity to
the prompt embedding. Where the head is plain average pooling (EfficientNet), this is exactly
the projected feature map, whose mean is the image embedding before normalisation.

``gradcam``: Grad-CAM of the image-text similarity with respect to the same map (ReLU of the
gradient-weighted channel sum), for towers whose head is not applicable per location.

``saliency``: gradient x input of the image-text similarity with respect to the pixels (its
magnitude, summed over channels), smoothed by a Gaussian of ``sigma`` pixels, about a lesion's
scale. It is the only one of the three at pixel resolution: the other two are as coarse as the
tower's stride (32 px for a timm CNN), which is coarser than a mass on a small image. On the
synthetic benchmark it is the only one that finds masses (``benchmarks/mammoclip.py``, which
also scores a difference-of-Gaussians blob detector and an untrained tower as baselines).

With ``contrast`` the map is sim(finding present) - sim(finding absent) per cell (the two
prompt-ensemble classes of a zero-shot task), which cancels what both prompts share ("breast").
Maps are upsampled bilinearly to the image size. The pointing game counts an image as a hit
when the heatmap's maximum (inside the breast, where pixels are non-zero) falls in one of the
ground-truth boxes of that finding (preprocessed frame, pixel-edge coordinates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.transforms.functional import gaussian_blur

from .prompts import ZeroShotTask, get_task
from .zeroshot import class_embeddings

Method = Literal["dense", "gradcam", "saliency"]
METHODS: tuple[str, ...] = ("dense", "gradcam", "saliency")


def _parts(model: nn.Module) -> tuple[nn.Module, object, object, nn.Module]:
    """(tower, map fn, pooled-head fn, image projection) of a CLIP model.

    The map is the tower's own pre-pool map when it wraps a timm trunk (``visual.trunk``), else
    the coarsest map of the contract's ``forward_features`` pooled by a spatial mean.
    """
    tower = model.visual
    proj = getattr(model, "image_projection", None)
    if proj is None:
        raise TypeError(f"{type(model).__name__} has no image_projection: not a MammoCLIP")
    trunk = getattr(tower, "trunk", None)
    if trunk is not None and hasattr(trunk, "forward_head"):
        def fmap(x: torch.Tensor) -> torch.Tensor:
            return trunk.forward_features(tower.normalize(x))

        def head(m: torch.Tensor) -> torch.Tensor:
            return trunk.forward_head(m, pre_logits=True)
    else:
        def fmap(x: torch.Tensor) -> torch.Tensor:
            return tower.forward_features(x)[-1]

        def head(m: torch.Tensor) -> torch.Tensor:
            return m.mean(dim=(2, 3))
    return tower, fmap, head, proj


def _dense_embeddings(fm: torch.Tensor, head: object, proj: nn.Module) -> torch.Tensor:
    """(B, C, h, w) map -> (B, h, w, E) normalised per-cell embeddings."""
    b, c, h, w = fm.shape
    cells = fm.permute(0, 2, 3, 1).reshape(b * h * w, c, 1, 1)
    z = proj(head(cells))  # type: ignore[operator]
    return F.normalize(z, dim=-1).reshape(b, h, w, -1)


def _cell_maps(model: nn.Module, images: torch.Tensor, t: torch.Tensor,
               n: torch.Tensor | None, method: Method) -> torch.Tensor:
    """(B, h, w) cell-level map of one forward pass."""
    tower, fmap, head, proj = _parts(model)
    if method == "dense":
        with torch.no_grad():
            cells = _dense_embeddings(fmap(images), head, proj)  # (B, h, w, E)
            heat = torch.einsum("bhwe,be->bhw", cells, t)
            if n is not None:
                heat = heat - torch.einsum("bhwe,be->bhw", cells, n)
        return heat
    if method == "gradcam":
        with torch.enable_grad():
            fm = fmap(images).detach().requires_grad_(True)
            z = F.normalize(proj(head(fm)), dim=-1)  # type: ignore[operator]
            sim = (z * t).sum(-1)
            if n is not None:
                sim = sim - (z * n).sum(-1)
            (grad,) = torch.autograd.grad(sim.sum(), fm)
        weights = grad.mean(dim=(2, 3), keepdim=True)
        return F.relu((weights * fm.detach()).sum(1))
    raise ValueError(f"unknown heatmap method {method!r} ({', '.join(METHODS)})")


def smooth(maps: torch.Tensor, sigma: float) -> torch.Tensor:
    """(B, H, W) maps blurred by a Gaussian of ``sigma`` pixels (no-op for sigma <= 0)."""
    if sigma <= 0:
        return maps
    k = 2 * int(np.ceil(3 * sigma)) + 1
    return gaussian_blur(maps[:, None], kernel_size=[k, k], sigma=[sigma, sigma])[:, 0]


def _saliency_maps(model: nn.Module, images: torch.Tensor, t: torch.Tensor,
                   n: torch.Tensor | None, sigma: float) -> torch.Tensor:
    """(B, H, W) |gradient x input| of the (contrast) similarity, smoothed."""
    with torch.enable_grad():
        x = images.detach().clone().requires_grad_(True)
        z = model.encode_image(x, normalize=True)
        sim = (z * t).sum(-1)
        if n is not None:
            sim = sim - (z * n).sum(-1)
        (grad,) = torch.autograd.grad(sim.sum(), x)
    return smooth((grad * images).abs().sum(1), sigma)


def text_heatmaps(model: nn.Module, images: torch.Tensor, text_emb: torch.Tensor,
                  *, method: Method = "dense", negative_emb: torch.Tensor | None = None,
                  stitch: int = 1, sigma: float = 2.0) -> torch.Tensor:
    """(B, H, W) maps of ``images`` (B, C, H, W) for per-image prompt embeddings (B, E)
    (or one (E,) for all); ``negative_emb`` is subtracted (contrast) when given.
    ``sigma``: the smoothing of ``saliency`` maps, in pixels (the other methods ignore it).

    ``stitch`` > 1 is shift-and-stitch: the image is also run shifted by multiples of
    stride / stitch, and the cell maps are interleaved into one map ``stitch`` times finer
    than the tower's stride (a stride-32 tower gives stride 16 with ``stitch=2``).
    """
    was_training = model.training
    model.eval()
    b, _, H, W = images.shape
    t = text_emb.expand(b, -1) if text_emb.ndim == 1 else text_emb
    n = None if negative_emb is None else (
        negative_emb.expand(b, -1) if negative_emb.ndim == 1 else negative_emb)
    try:
        if method == "saliency":  # pixel level already: no stitching, no upsampling
            return _saliency_maps(model, images, t, n, sigma)
        base = _cell_maps(model, images, t, n, method)
        if stitch <= 1:
            heat = base
        else:
            h, w = base.shape[-2:]
            sy, sx = H / h, W / w  # the tower's stride
            heat = base.new_zeros(b, h * stitch, w * stitch)
            for a in range(stitch):
                for c in range(stitch):
                    dy, dx = round(a * sy / stitch), round(c * sx / stitch)
                    shifted = F.pad(images[:, :, dy:, dx:], (0, dx, 0, dy))
                    m = base if a == c == 0 else _cell_maps(model, shifted, t, n, method)
                    heat[:, a::stitch, c::stitch] = m[:, :h, :w]
    finally:
        model.train(was_training)
    up = F.interpolate(heat[:, None].float(), size=(H, W), mode="bilinear",
                       align_corners=False)
    if stitch > 1:
        # interleaved cells sit stride/2 - stride/(2*stitch) later than a plain grid of the
        # finer stride assumes: move the map down/right by that much
        oy = round(H / heat.shape[-2] * (stitch - 1) / 2)
        ox = round(W / heat.shape[-1] * (stitch - 1) / 2)
        up = F.pad(up, (ox, 0, oy, 0), mode="replicate")[..., :H, :W]
    return up[:, 0]


def heatmap_peak(heatmap: np.ndarray, region: np.ndarray | None = None) -> tuple[float, float]:
    """(x, y) pixel centre of the maximum of an (H, W) map, inside ``region`` if given."""
    h = np.asarray(heatmap, dtype=np.float64)
    if region is not None and np.any(region):
        h = np.where(region, h, -np.inf)
    iy, ix = np.unravel_index(int(np.argmax(h)), h.shape)
    return ix + 0.5, iy + 0.5


def point_in_boxes(x: float, y: float, boxes: np.ndarray, tolerance: float = 0.0) -> bool:
    """Whether (x, y) lies in any (x0, y0, x1, y1) box grown by ``tolerance`` pixels."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    t = tolerance
    return bool(np.any((b[:, 0] - t <= x) & (x <= b[:, 2] + t)
                       & (b[:, 1] - t <= y) & (y <= b[:, 3] + t)))


def pointing_game(heatmaps: Sequence[np.ndarray], boxes: Sequence[np.ndarray],
                  regions: Sequence[np.ndarray | None] | None = None,
                  tolerance: float = 0.0) -> np.ndarray:
    """Hit (True) / miss per image: the peak of each heatmap lies in one of its boxes."""
    regions = regions if regions is not None else [None] * len(heatmaps)
    if not (len(heatmaps) == len(boxes) == len(regions)):
        raise ValueError(f"{len(heatmaps)} heatmaps, {len(boxes)} box sets, "
                         f"{len(regions)} regions")
    return np.array([point_in_boxes(*heatmap_peak(h, r), b, tolerance)
                     for h, b, r in zip(heatmaps, boxes, regions)], dtype=bool)


@dataclass
class PointingResult:
    hits: np.ndarray  # (N,) bool
    image_ids: list[str]
    method: str

    @property
    def accuracy(self) -> float:
        return float(self.hits.mean()) if len(self.hits) else float("nan")


def boxes_by_image(annotations: pd.DataFrame, kind: str) -> dict[str, np.ndarray]:
    """image_id -> (n, 4) x0, y0, x1, y1 boxes of the annotations of ``kind`` (rows without a
    complete box left out)."""
    ann = annotations[annotations["kind"].astype(str) == kind]
    ann = ann[ann[["x0", "y0", "x1", "y1"]].notna().all(axis=1)]
    return {str(k): g[["x0", "y0", "x1", "y1"]].to_numpy(float)
            for k, g in ann.groupby(ann["image_id"].astype(str))}


def finding_pointing_game(model: nn.Module, dataset: torch.utils.data.Dataset,
                          annotations: pd.DataFrame, task: str | ZeroShotTask = "mass", *,
                          kind: str | None = None, method: Method = "dense",
                          contrast: bool = True, batch_size: int = 16,
                          breast_threshold: float = 0.02, tolerance: float = 0.0,
                          stitch: int = 1, sigma: float = 2.0,
                          max_images: int | None = None) -> PointingResult:
    """Pointing game of one finding over the images of ``dataset`` that have boxes of it.

    ``dataset`` items follow the MammoImageDataset contract (``image``, ``image_id``,
    ``laterality``); boxes come from ``annotations`` (preprocessed frame) rows whose ``kind``
    is ``kind`` (default: the task's label). The prompt is the task's "present" ensemble for
    the image's side (minus the "absent" one with ``contrast``).
    """
    t = get_task(task)
    by_image = boxes_by_image(annotations, kind or t.label)
    ids = _dataset_ids(dataset)
    todo = [i for i, iid in enumerate(ids) if iid in by_image]
    if max_images is not None:
        todo = todo[:max_images]
    cls = {side: torch.from_numpy(class_embeddings(model, t.prompts(side))).float()
           for side in ("L", "R")}
    hits: list[bool] = []
    done: list[str] = []
    for start in range(0, len(todo), batch_size):
        items = [dataset[i] for i in todo[start:start + batch_size]]
        x = torch.stack([it["image"] for it in items])
        sides = [str(it.get("laterality", "L")) if str(it.get("laterality")) in ("L", "R")
                 else "L" for it in items]
        pos = torch.stack([cls[s][1] for s in sides])
        neg = torch.stack([cls[s][0] for s in sides]) if contrast else None
        maps = text_heatmaps(model, x, pos, method=method, negative_emb=neg,
                             stitch=stitch, sigma=sigma).numpy()
        regions = [(it["image"].amax(0) > breast_threshold).numpy() for it in items]
        boxes = [by_image[str(it["image_id"])] for it in items]
        hits += pointing_game(list(maps), boxes, regions, tolerance).tolist()
        done += [str(it["image_id"]) for it in items]
    return PointingResult(np.array(hits, dtype=bool), done, method)


def _dataset_ids(dataset: torch.utils.data.Dataset) -> list[str]:
    """image_id of every item, from the dataset's manifest when it has one (no image reads)."""
    manifest = getattr(dataset, "manifest", None)
    if isinstance(manifest, pd.DataFrame) and "image_id" in manifest.columns:
        return manifest["image_id"].astype(str).tolist()
    return [str(dataset[i]["image_id"]) for i in range(len(dataset))]  # type: ignore[arg-type]
