"""Random fields for breast tissue: power-law (1/f^beta) noise, isotropic or radial.

Mammographic parenchyma has a power spectrum close to 1/f^beta with beta about 3 (Burgess
et al. 2001); ducts and Cooper's ligaments converge on the nipple, so part of the texture is
drawn in polar coordinates about the nipple and stretched along the radius.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np


@lru_cache(maxsize=64)
def _amplitude(h: int, w: int, beta: float, stretch: float, fmin: float) -> np.ndarray:
    fy = np.fft.fftfreq(h)[:, None] * h
    fx = np.fft.rfftfreq(w)[None, :] * w * stretch
    f = np.sqrt(fx ** 2 + fy ** 2)
    amp = (1.0 / np.maximum(f, fmin) ** (beta / 2.0)).astype(np.float32)
    amp[0, 0] = 0.0
    amp.setflags(write=False)
    return amp


def power_law_noise(shape: tuple[int, int], beta: float, rng: np.random.Generator,
                    stretch: float = 1.0, fmin: float = 1.5, reduce: int = 2) -> np.ndarray:
    """Zero-mean, unit-variance noise with power spectrum ~ 1/f^beta.

    ``stretch`` > 1 lengthens correlations along axis 1 (columns); ``fmin`` (cycles per
    field) cuts the lowest frequencies so one blob does not fill the field. ``reduce``: the
    field is synthesised at 1/reduce resolution and upsampled (a steep spectrum has almost
    no power left at the finest scales; this saves most of the time).
    """
    if reduce > 1 and min(shape) >= 32 * reduce:
        small = power_law_noise(((shape[0] + reduce - 1) // reduce, (shape[1] + reduce - 1) // reduce),
                                beta, rng, stretch, fmin, reduce=1)
        big = cv2.resize(small, (small.shape[1] * reduce, small.shape[0] * reduce),
                         interpolation=cv2.INTER_CUBIC)[: shape[0], : shape[1]]
        return np.ascontiguousarray(big)
    h, w = shape
    amp = _amplitude(h, w, float(beta), float(stretch), float(fmin))
    spec = (rng.standard_normal((h, w // 2 + 1), dtype=np.float32)
            + 1j * rng.standard_normal((h, w // 2 + 1), dtype=np.float32)) * amp
    field = np.fft.irfft2(spec, s=(h, w)).astype(np.float32)
    field -= field.mean()
    sd = field.std()
    return field / sd if sd > 0 else field


def radial_texture(shape: tuple[int, int], centre: tuple[float, float], beta: float,
                   rng: np.random.Generator, stretch: float = 4.0) -> np.ndarray:
    """Noise whose streaks radiate from ``centre`` (x, y): ducts converging on the nipple."""
    h, w = shape
    cx, cy = centre
    dx = np.broadcast_to(np.arange(w, dtype=np.float32)[None, :] - cx, (h, w))
    dy = np.broadcast_to(np.arange(h, dtype=np.float32)[:, None] - cy, (h, w))
    r, theta = cv2.cartToPolar(np.ascontiguousarray(dx), np.ascontiguousarray(dy))  # 0..2pi
    rmax = float(r.max()) + 1.0
    # the polar field is synthesised coarse (half the radial, a quarter of the arc
    # resolution) and interpolated: the streaks are smooth along both axes
    n_r = max(64, int(rmax / 2))
    n_t = max(64, int(np.pi * rmax * 0.25))
    polar = power_law_noise((n_t, n_r), beta, rng, stretch=stretch, reduce=1)
    map_x = r * np.float32((n_r - 1) / rmax)
    map_y = theta * np.float32((n_t - 1) / (2 * np.pi))
    return cv2.remap(polar, map_x, map_y, interpolation=cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REFLECT)
