"""Seeded augmentations that move an image, its mask and its boxes together.

A sample is a dict: ``image`` (H, W) or (C, H, W) float32 in [0, 1]; optional ``mask`` (H, W)
(bool or float); optional ``boxes`` (N, 4) x0, y0, x1, y1 pixel-edge floats and ``box_labels``
(N,). Spatial transforms make ONE random draw per call and apply it to all three; boxes are
clipped to the image and dropped (with their labels) when too little of them is left.
Intensity transforms touch the image only.

Reproducibility: each transform takes a ``seed``. Called with a ``key`` (the dataset passes the
item index and epoch), the draw depends only on (seed, key), so it is the same in any worker
and any order; called without one, it comes from the transform's own seeded stream.
No horizontal flip by default: the canonical side (chest wall left) carries meaning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from mammofm.common.seed import derive_seed

Sample = dict[str, Any]


class RandomTransform:
    """Base: holds the seed and hands out one generator per call."""

    def __init__(self, seed: int = 0, p: float = 1.0) -> None:
        self.seed = int(seed)
        self.p = float(p)
        self._stream = np.random.default_rng(derive_seed(self.seed, type(self).__name__))

    def _rng(self, key: Any) -> np.random.Generator:
        if key is None:
            return self._stream
        return np.random.default_rng(derive_seed(self.seed, type(self).__name__, key))

    def __call__(self, sample: Sample, key: Any = None) -> Sample:
        rng = self._rng(key)
        if self.p < 1.0 and rng.random() >= self.p:
            return sample
        return self.apply(dict(sample), rng)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class Compose:
    """Apply transforms in order; each gets the same key (its own seed makes draws differ)."""

    def __init__(self, transforms: Sequence[Any]) -> None:
        self.transforms = list(transforms)

    def __call__(self, sample: Sample, key: Any = None) -> Sample:
        for t in self.transforms:
            sample = t(sample, key) if _takes_key(t) else t(sample)
        return sample

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


def _takes_key(t: Any) -> bool:
    return isinstance(t, (RandomTransform, Compose, Resize))


# --- spatial ---------------------------------------------------------------------------------

def _hw(image: np.ndarray) -> tuple[int, int]:
    return (image.shape[-2], image.shape[-1]) if image.ndim == 3 else image.shape[:2]


def _warp(arr: np.ndarray, m_center: np.ndarray, size: tuple[int, int], nearest: bool
          ) -> np.ndarray:
    h, w = size
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR

    def one(a: np.ndarray) -> np.ndarray:
        src = a.astype(np.uint8) if a.dtype == bool else a
        out = cv2.warpAffine(np.ascontiguousarray(src), m_center, (w, h), flags=flags,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return out.astype(bool) if a.dtype == bool else out

    if arr.ndim == 3:
        return np.stack([one(c) for c in arr])
    return one(arr)


def warp_boxes(boxes: np.ndarray, m_edge: np.ndarray, size: tuple[int, int],
               min_visible: float = 0.25, min_size: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Map (N, 4) boxes through a 2x3 affine (pixel-edge frame): the box of the four mapped
    corners, clipped to ``size`` (H, W). Returns (boxes, keep) where keep marks boxes with at
    least ``min_visible`` of their mapped area inside and both sides >= ``min_size`` px."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if not len(b):
        return b.astype(np.float32), np.zeros(0, dtype=bool)
    corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]], b[:, [2, 3]]], axis=1)
    mapped = corners @ m_edge[:, :2].T + m_edge[:, 2]
    lo, hi = mapped.min(axis=1), mapped.max(axis=1)
    full = np.concatenate([lo, hi], axis=1)
    h, w = size
    clipped = full.copy()
    clipped[:, [0, 2]] = clipped[:, [0, 2]].clip(0, w)
    clipped[:, [1, 3]] = clipped[:, [1, 3]].clip(0, h)
    area = lambda x: (x[:, 2] - x[:, 0]).clip(0) * (x[:, 3] - x[:, 1]).clip(0)  # noqa: E731
    full_area = np.maximum(area(full), 1e-9)
    wide = clipped[:, 2] - clipped[:, 0] >= min_size
    tall = clipped[:, 3] - clipped[:, 1] >= min_size
    keep = (area(clipped) / full_area >= min_visible) & wide & tall
    return clipped.astype(np.float32), keep


def apply_affine(sample: Sample, m_edge: np.ndarray, out_size: tuple[int, int] | None = None,
                 min_visible: float = 0.25) -> Sample:
    """Apply one 2x3 affine (pixel-edge coordinates) to image, mask and boxes of a sample."""
    size = out_size or _hw(sample["image"])
    # cv2 works on pixel centres: p_c' = A p_c + (A @ 0.5 + t - 0.5)
    a, t = m_edge[:, :2], m_edge[:, 2]
    m_center = np.concatenate([a, (a @ np.full(2, 0.5) + t - 0.5)[:, None]], axis=1)
    out = dict(sample)
    out["image"] = _warp(sample["image"], m_center, size, nearest=False)
    if sample.get("mask") is not None:
        out["mask"] = _warp(sample["mask"], m_center, size, nearest=True)
    if sample.get("boxes") is not None:
        boxes, keep = warp_boxes(sample["boxes"], m_edge, size, min_visible=min_visible)
        out["boxes"] = boxes[keep]
        if sample.get("box_labels") is not None:
            out["box_labels"] = np.asarray(sample["box_labels"])[keep]
    return out


class RandomAffine(RandomTransform):
    """Small rotation, isotropic scale and translation about the image centre.

    ``degrees``: max |rotation|; ``scale``: (min, max) factor; ``translate``: max shift as a
    fraction of (width, height).
    """

    def __init__(self, seed: int = 0, degrees: float = 5.0,
                 scale: tuple[float, float] = (0.9, 1.1),
                 translate: tuple[float, float] = (0.05, 0.05), p: float = 1.0,
                 min_visible: float = 0.25) -> None:
        super().__init__(seed, p)
        self.degrees, self.scale, self.translate = float(degrees), tuple(scale), tuple(translate)
        self.min_visible = float(min_visible)

    def matrix(self, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        """The 2x3 edge-frame matrix of one draw."""
        h, w = size
        angle = math.radians(rng.uniform(-self.degrees, self.degrees))
        s = rng.uniform(*self.scale)
        tx = rng.uniform(-self.translate[0], self.translate[0]) * w
        ty = rng.uniform(-self.translate[1], self.translate[1]) * h
        c, sn = math.cos(angle) * s, math.sin(angle) * s
        a = np.array([[c, -sn], [sn, c]])
        centre = np.array([w / 2.0, h / 2.0])
        t = centre + np.array([tx, ty]) - a @ centre
        return np.concatenate([a, t[:, None]], axis=1)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        m = self.matrix(_hw(sample["image"]), rng)
        return apply_affine(sample, m, min_visible=self.min_visible)


class Resize:
    """Deterministic resize to (H, W) (no aspect keeping: preprocessed images already share one
    aspect); boxes scale with it."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = (int(size[0]), int(size[1]))

    def __call__(self, sample: Sample, key: Any = None) -> Sample:
        h, w = _hw(sample["image"])
        sy, sx = self.size[0] / h, self.size[1] / w
        m = np.array([[sx, 0.0, 0.0], [0.0, sy, 0.0]])
        return apply_affine(sample, m, out_size=self.size, min_visible=0.0)

    def __repr__(self) -> str:
        return f"Resize(size={self.size})"


# --- intensity -------------------------------------------------------------------------------

class RandomGamma(RandomTransform):
    """image ** gamma with gamma drawn log-uniformly in ``gamma`` (min, max)."""

    def __init__(self, seed: int = 0, gamma: tuple[float, float] = (0.8, 1.25), p: float = 1.0
                 ) -> None:
        super().__init__(seed, p)
        self.gamma = tuple(gamma)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        g = math.exp(rng.uniform(math.log(self.gamma[0]), math.log(self.gamma[1])))
        img = np.clip(np.asarray(sample["image"], np.float32), 0.0, 1.0)
        sample["image"] = cv2.pow(img, g) if img.ndim == 2 else np.power(img, np.float32(g))
        return sample


class RandomContrast(RandomTransform):
    """(image - mean) * contrast + mean + brightness, clipped to [0, 1]."""

    def __init__(self, seed: int = 0, contrast: tuple[float, float] = (0.85, 1.15),
                 brightness: tuple[float, float] = (-0.05, 0.05), p: float = 1.0) -> None:
        super().__init__(seed, p)
        self.contrast, self.brightness = tuple(contrast), tuple(brightness)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        img = sample["image"]
        c, b = rng.uniform(*self.contrast), rng.uniform(*self.brightness)
        mean = float(img.mean())
        sample["image"] = np.clip((img - mean) * c + mean + b, 0.0, 1.0).astype(np.float32)
        return sample


class RandomNoise(RandomTransform):
    """Additive Gaussian noise with a standard deviation drawn in ``std`` (min, max)."""

    def __init__(self, seed: int = 0, std: tuple[float, float] = (0.0, 0.02), p: float = 1.0
                 ) -> None:
        super().__init__(seed, p)
        self.std = tuple(std)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        img = sample["image"]
        sd = rng.uniform(*self.std)
        noise = rng.standard_normal(img.shape, dtype=np.float32) * np.float32(sd)
        sample["image"] = np.clip(img + noise, 0.0, 1.0).astype(np.float32)
        return sample


def default_augment(seed: int = 0, strength: float = 1.0) -> Compose:
    """The training augmentation: small affine, gamma, contrast/brightness, noise."""
    k = float(strength)
    return Compose([
        RandomAffine(derive_seed(seed, "affine"), degrees=5.0 * k,
                     scale=(1 - 0.1 * k, 1 + 0.1 * k), translate=(0.05 * k, 0.05 * k)),
        RandomGamma(derive_seed(seed, "gamma"), gamma=(0.8 ** k, 1.25 ** k)),
        RandomContrast(derive_seed(seed, "contrast"), contrast=(1 - 0.15 * k, 1 + 0.15 * k),
                       brightness=(-0.05 * k, 0.05 * k)),
        RandomNoise(derive_seed(seed, "noise"), std=(0.0, 0.02 * k)),
    ])
