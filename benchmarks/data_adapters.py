"""Adapter speed at real dataset scale against its baseline (pandas reading the same CSV).

Writes an RSNA-format ``train.csv`` with as many rows as the real one (54,706 images of 11,913
patients; values drawn at random, no real rows) and a VinDr-format pair (20,000 images), then
times ``load_adapter(name).read(root)`` and, as the baseline, ``pandas.read_csv`` of the same
files. Prints rows/s for both in one run.

    python benchmarks/data_adapters.py [--rsna-rows 54706] [--vindr-rows 20000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def write_rsna(root: Path, n: int, rng: np.random.Generator) -> list[Path]:
    patients = rng.integers(10000, 65535, size=max(1, n // 4))
    rows = []
    for i in range(n):
        pid = int(patients[i // 4 % len(patients)])
        rows.append({"site_id": 1 + i % 2, "patient_id": pid, "image_id": 1000000 + i,
                     "laterality": "LR"[(i // 2) % 2], "view": ("CC", "MLO")[i % 2],
                     "age": float(40 + i % 40), "cancer": int(rng.random() < 0.02),
                     "biopsy": 0, "invasive": 0, "BIRADS": rng.choice(["0", "1", "2", ""]),
                     "implant": 0, "density": rng.choice(["A", "B", "C", "D", ""]),
                     "machine_id": 29, "difficult_negative_case": "False"})
    path = root / "train.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return [path]


def write_vindr(root: Path, n: int, rng: np.random.Generator) -> list[Path]:
    rows, finds = [], []
    for i in range(n):
        sid = f"s{i // 4:05d}"
        r = {"study_id": sid, "series_id": f"se{i // 2}", "image_id": f"im{i:06d}",
             "laterality": "LR"[(i // 2) % 2], "view_position": ("CC", "MLO")[i % 2],
             "height": 3518, "width": 2800, "breast_birads": f"BI-RADS {rng.integers(1, 6)}",
             "breast_density": f"DENSITY {'ABCD'[rng.integers(0, 4)]}", "split": "training"}
        rows.append(r)
        if rng.random() < 0.1:
            finds.append({**r, "finding_categories": "['Mass']", "finding_birads": "BI-RADS 4",
                          "xmin": 100.0, "ymin": 200.0, "xmax": 400.0, "ymax": 500.0})
        else:
            finds.append({**r, "finding_categories": "['No Finding']", "finding_birads": "",
                          "xmin": "", "ymin": "", "xmax": "", "ymax": ""})
    pd.DataFrame(rows).to_csv(root / "breast-level_annotations.csv", index=False)
    pd.DataFrame(finds).to_csv(root / "finding_annotations.csv", index=False)
    return [root / "breast-level_annotations.csv", root / "finding_annotations.csv"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rsna-rows", type=int, default=54706)
    ap.add_argument("--vindr-rows", type=int, default=20000)
    args = ap.parse_args()
    from mammofm.data.adapters import load_adapter

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for name, writer, n in (("rsna", write_rsna, args.rsna_rows),
                                ("vindr", write_vindr, args.vindr_rows)):
            root = Path(tmp) / name
            root.mkdir()
            files = writer(root, n, rng)
            t = time.perf_counter()
            for f in files:
                pd.read_csv(f, dtype=str)
            base = time.perf_counter() - t
            t = time.perf_counter()
            res = load_adapter(name).read(root)
            took = time.perf_counter() - t
            print(f"{name:6s} {len(res.manifest):6d} images, {len(res.exams):5d} exams: adapter "
                  f"{took:6.2f} s ({len(res.manifest) / took:8.0f} rows/s); baseline "
                  f"pd.read_csv {base:5.2f} s ({n / base:8.0f} rows/s)")


if __name__ == "__main__":
    main()
