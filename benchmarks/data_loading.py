"""Data-loading throughput of ``mammofm.data.MammoImageDataset`` against its baseline.

Writes N random 16-bit PNGs (default 256x160) with one lesion box + mask each, then times:
baseline  - a bare loop of cv2.imread(IMREAD_UNCHANGED) / 65535 (the least any loader must do);
dataset   - MammoImageDataset items (image + mask + boxes + labels as tensors);
augmented - the same with ``transforms.default_augment`` (affine, gamma, contrast, noise).
Prints images/s for each and the ratio to the baseline, in one run.

    OMP_NUM_THREADS=1 python benchmarks/data_loading.py [--n 200] [--size 256 160]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd


def _write(folder: Path, n: int, size: tuple[int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    rows, anns = [], []
    h, w = size
    for i in range(n):
        img = rng.integers(0, 65536, size, dtype=np.uint16)
        cv2.imwrite(str(folder / f"{i}.png"), img)
        mask = np.zeros(size, np.uint8)
        mask[h // 3:h // 2, w // 4:w // 2] = 255
        cv2.imwrite(str(folder / f"{i}_m.png"), mask)
        rows.append({"image_id": str(i), "study_id": str(i // 4), "patient_id": str(i // 4),
                     "laterality": "LR"[(i // 2) % 2], "view": ("CC", "MLO")[i % 2],
                     "image_path": str(folder / f"{i}.png"), "status": "ok", "mass": 1.0,
                     "malignant": float(i % 2)})
        anns.append({"image_id": str(i), "kind": "mass", "x0": w / 4, "y0": h / 3,
                     "x1": w / 2, "y1": h / 2, "mask_path": str(folder / f"{i}_m.png")})
    return pd.DataFrame(rows), pd.DataFrame(anns)


def _rate(fn, n: int) -> float:
    fn(0)  # warm up
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--size", type=int, nargs=2, default=(256, 160))
    args = ap.parse_args()
    from mammofm.data import MammoImageDataset
    from mammofm.data.transforms import default_augment

    with tempfile.TemporaryDirectory() as tmp:
        man, ann = _write(Path(tmp), args.n, tuple(args.size))
        paths = list(man["image_path"])
        base = _rate(lambda i: cv2.imread(paths[i], cv2.IMREAD_UNCHANGED).astype(np.float32)
                     / 65535.0, args.n)
        plain = MammoImageDataset(man, ann)
        aug = MammoImageDataset(man, ann, transform=default_augment(0))
        r_plain = _rate(lambda i: plain[i], args.n)
        r_aug = _rate(lambda i: aug[i], args.n)
    print(f"images: {args.n} at {args.size[0]}x{args.size[1]}, 16-bit PNG, one thread")
    print(f"baseline  cv2.imread/65535      {base:8.1f} images/s")
    print(f"dataset   MammoImageDataset     {r_plain:8.1f} images/s  "
          f"({r_plain / base:.2f}x baseline)")
    print(f"augmented + default_augment     {r_aug:8.1f} images/s  ({r_aug / base:.2f}x baseline)")


if __name__ == "__main__":
    main()
