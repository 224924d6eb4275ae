"""Toy image-report sets for the train tests (a module, so tests can import it by name)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from mammofm.birads import Breast, Exam, Finding
from mammofm.reports import write


def make_toy_set(root: Path, n_studies: int, size: tuple[int, int] = (64, 40), seed: int = 0,
                 split_every: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    r = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    h, w = size
    rows, reports = [], {}
    for s in range(n_studies):
        study = f"S{s:03d}"
        mass = {lat: bool(r.random() < 0.5) for lat in ("L", "R")}
        exam = Exam(study_id=study, patient_id=f"P{s:03d}", breasts={
            lat: Breast(composition="b", findings=[Finding(kind="mass")] if mass[lat] else [],
                        assessment="4" if mass[lat] else "1") for lat in ("L", "R")})
        reports[study] = write(exam, "default", seed=s)
        split = "test" if split_every and s % split_every == 0 else "train"
        for lat in ("L", "R"):
            cy, cx = r.uniform(0.3, 0.7) * h, r.uniform(0.25, 0.6) * w
            for view in ("CC", "MLO"):
                img = (r.normal(0.25, 0.05, size).clip(0, 1) * 65535).astype(np.uint16)
                if mass[lat]:
                    yy, xx = np.mgrid[:h, :w]
                    dy = yy - cy - (4 if view == "MLO" else 0)
                    disc = dy ** 2 + (xx - cx) ** 2 < (h / 8) ** 2
                    img[disc] = 60000
                path = root / f"{study}_{lat}_{view}.png"
                cv2.imwrite(str(path), img)
                rows.append({"image_id": f"{study}.{lat}.{view}", "patient_id": f"P{s:03d}",
                             "study_id": study, "laterality": lat, "view": view,
                             "image_path": str(path), "split": split, "status": "ok",
                             "mass": float(mass[lat])})
    return pd.DataFrame(rows), reports


