"""From projected attenuation to the stored pixels of a "For Presentation" image.

Detector: quanta N0 exp(-P) plus scatter, blurred by the detector MTF, with Poisson noise
(Gaussian approximation). Vendor processing: log, peripheral (thickness) equalisation,
unsharp masking, a tone curve, scaling to the stored bit depth; MONOCHROME1 inverts; window
tags cover the breast. Each site preset sets these knobs, which is what makes sites differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mammofm.dicom.write import Window

from .config import SitePreset


@dataclass
class Presentation:
    pixels: np.ndarray  # uint16 stored values
    windows: list[Window]
    photometric: str
    bits_stored: int
    voi_lut_function: str | None


def detect(P: np.ndarray, mask: np.ndarray, site: SitePreset, spacing: float,
           r: np.random.Generator) -> np.ndarray:
    """Log signal -ln(I / N0) with quantum noise and blur; 0 in direct exposure."""
    inside = P[mask]
    p_mean = float(inside.mean()) if inside.size else 0.0
    n0 = site.noise_counts * float(np.exp(p_mean))  # ``noise_counts`` quanta behind the breast
    prim = np.exp(-P.astype(np.float32)) * n0
    sigma_s = 25.0 / spacing
    scatter = site.scatter * blur_large(prim, sigma_s) * mask
    signal = prim + scatter
    signal = cv2.GaussianBlur(signal, (0, 0), max(0.3, site.blur_mm / spacing))
    noisy = signal + np.sqrt(signal) * r.standard_normal(signal.shape, dtype=np.float32)
    return -np.log(np.clip(noisy, 1.0, None) / n0)


def blur_large(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with a wide kernel, done on a reduced copy (same result to <1%)."""
    k = max(1, int(sigma // 4))
    if k == 1:
        return cv2.GaussianBlur(img, (0, 0), sigma)
    h, w = img.shape
    small = cv2.resize(img, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / k)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _masked_blur(img: np.ndarray, mask: np.ndarray, sigma: float) -> np.ndarray:
    m = mask.astype(np.float32)
    num = blur_large(img * m, sigma)
    den = blur_large(m, sigma)
    return num / np.maximum(den, 1e-3)


def present(L: np.ndarray, mask: np.ndarray, dist_mm: np.ndarray, site: SitePreset,
            spacing: float, r: np.random.Generator, *, photometric: str, bits_stored: int,
            sigmoid: bool, three_windows: bool, min_range: float = 0.0) -> Presentation:
    """Vendor processing of the log image into stored pixels and window tags."""
    L = L.astype(np.float32)
    interior = mask & (dist_mm > 15)
    # levels from every 3rd pixel: same figures to a fraction of a percent, a third of the sort
    ref = float(np.median(L[interior][::3])) if interior.any() else float(np.median(L[mask][::3]))
    # peripheral equalisation: lift the thin edge toward the interior level
    low = _masked_blur(L, mask, 12.0 / spacing)
    Le = L + site.equalisation * np.clip(ref - low, 0, None) * mask
    # detail enhancement
    Le = Le + site.unsharp * (Le - cv2.GaussianBlur(Le, (0, 0), 1.5 / spacing))
    # the tone scale is set on the interior (fat low, densest tissue high); the thin edge
    # falls below it and darkens toward the skin line as on real processed images
    vals = Le[interior] if interior.sum() > 100 else Le[mask]
    lo, hi = (np.percentile(vals[::3], [1.0, 99.7]) if vals.size else (0.0, 1.0))
    # a fatty breast has little contrast to show: do not stretch its noise to full scale
    hi = max(hi, lo + min_range)
    lo = lo - 0.15 * (hi - lo)
    v = np.clip((Le - lo) / max(hi - lo, 1e-6), 0, 1)
    v = v ** site.gamma
    maxval = (1 << bits_stored) - 1
    base, span = 0.06 * maxval, 0.88 * maxval
    # below the tone scale (the thin edge) the values run linearly down to the background
    tail = base * np.clip(Le / max(float(lo), 1e-6), 0, 1)
    stored = np.where(Le < lo, tail, base + span * v)
    stored = np.where(mask, stored, 0.004 * maxval * (1 + r.random(stored.shape, dtype=np.float32)))
    stored = np.clip(np.round(stored), 0, maxval).astype(np.uint16)
    wc, ww = base + 0.5 * span, span * 1.02
    windows = [Window(wc, ww, "NORMAL")]
    if three_windows:
        windows += [Window(wc + 0.05 * span, ww * 0.8, "HARDER"),
                    Window(wc - 0.05 * span, ww * 1.2, "SOFTER")]
    if photometric == "MONOCHROME1":
        stored = (maxval - stored).astype(np.uint16)
        windows = [Window(maxval - w.center, w.width, w.explanation) for w in windows]
    return Presentation(stored, windows, photometric, bits_stored, "SIGMOID" if sigmoid else None)
