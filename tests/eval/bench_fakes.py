"""Stand-ins for the benchmark tests: a tiny hand-built cohort and stand-in models.

The cohort is written in the prepared-cohort layout (docs/CONTRACTS.md) and read back with
``mammofm.data.load_cohort``: 64x40 16-bit PNGs whose brightness follows the breast
composition and which show a bright blob where the Exam says there is a mass. An "oracle"
encoder reads those cues; a "noise" encoder returns features unrelated to the image. Any
sound benchmark must rank the oracle above the noise.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import torch
from torch import nn

from mammofm.birads import (Assessment, Breast, Composition, Exam, Finding, FindingKind,
                            Laterality, Location, Pathology, Quadrant)
from mammofm.common.manifest import ANNOTATION_COLUMNS, write_manifest

H, W = 64, 40
QUADS = (Quadrant.UOQ, Quadrant.LOQ)


def _exam(rng: np.random.Generator, sid: str, pid: str) -> Exam:
    comp = Composition(["a", "b", "c", "d"][int(rng.integers(0, 4))])
    breasts = {}
    for lat in (Laterality.L, Laterality.R):
        findings = []
        assessment = Assessment.c1
        if rng.random() < 0.45:
            malignant = rng.random() < 0.5
            findings.append(Finding(kind=FindingKind.mass,
                                    location=Location(quadrant=QUADS[int(rng.integers(0, 2))]),
                                    pathology=Pathology.malignant if malignant
                                    else Pathology.benign))
            assessment = Assessment.c5 if malignant else Assessment.c3
        if rng.random() < 0.3:
            findings.append(Finding(kind=FindingKind.calcification))
            if assessment == Assessment.c1:
                assessment = Assessment.c2
        breasts[lat] = Breast(composition=comp, findings=findings, assessment=assessment)
    return Exam(study_id=sid, patient_id=pid, breasts=breasts)


def _image(rng: np.random.Generator, exam: Exam, lat: Laterality, view: str,
           site_gain: float) -> np.ndarray:
    breast = exam.breast(lat)
    density = "abcd".index(breast.composition.value)
    img = rng.normal(0.15 + 0.12 * density, 0.04, (H, W))
    for f in breast.findings:
        if f.kind == FindingKind.mass:
            cy = 18 if f.location.quadrant == Quadrant.UOQ else 46
            cy += 4 if view == "MLO" else 0
            cv2.circle(img, (18, cy), 6, float(img.mean() + 0.45), -1)
        if f.kind == FindingKind.calcification:
            for _ in range(6):
                img[int(rng.integers(5, H - 5)), int(rng.integers(5, W - 5))] = 1.0
    img = np.clip(img * site_gain, 0, 1)
    return (img * 65535).astype(np.uint16)


def build_cohort(root: Path, n_patients: int, seed: int, site_gain: float = 1.0,
                 site: str = "internal") -> Path:
    """Write a prepared cohort under ``root/prepared/64x40`` and return that folder."""
    rng = np.random.default_rng(seed)
    prepared = root / "prepared" / f"{H}x{W}"
    (prepared / "images").mkdir(parents=True, exist_ok=True)
    rows, exams, reports = [], [], []
    for p in range(n_patients):
        pid, sid = f"{site}-P{p:03d}", f"{site}-S{p:03d}"
        exam = _exam(rng, sid, pid)
        exams.append(exam)
        frac = p / n_patients
        split = "train" if frac < 0.55 else "val" if frac < 0.7 else "test"
        from mammofm.reports import write

        reports.append({"study_id": sid, "patient_id": pid, "style": "narrative",
                        "text": write(exam, "narrative", p)})
        for lat in (Laterality.L, Laterality.R):
            for view in ("CC", "MLO"):
                iid = f"{sid}-{lat.value}{view}"
                path = prepared / "images" / f"{iid}.png"
                cv2.imwrite(str(path), _image(rng, exam, lat, view, site_gain))
                rows.append({"image_id": iid, "patient_id": pid, "study_id": sid,
                             "laterality": lat.value, "view": view, "image_path": str(path),
                             "dataset": site, "split": split, "status": "ok", "error": ""})
    write_manifest(rows, prepared / "manifest.parquet")
    pd.DataFrame(columns=list(ANNOTATION_COLUMNS)).to_parquet(prepared / "annotations.parquet")
    (prepared / "exams.jsonl").write_text("".join(e.to_json() + "\n" for e in exams))
    (prepared / "reports.jsonl").write_text("".join(json.dumps(r) + "\n" for r in reports))
    return prepared


class OracleEncoder(nn.Module):
    """Hand-made features that carry the cohort's cues (brightness, blob, its height)."""

    num_features = 12
    in_chans = 1
    image_size = (H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, 0]
        top, bottom = x[:, : H // 2], x[:, H // 2:]
        feats = [x.mean((1, 2)), x.std((1, 2)), x.amax((1, 2)),
                 top.amax((1, 2)), bottom.amax((1, 2)),
                 (top > x.mean((1, 2), keepdim=True) + 0.3).float().mean((1, 2)),
                 (bottom > x.mean((1, 2), keepdim=True) + 0.3).float().mean((1, 2)),
                 (x > 0.99).float().mean((1, 2))]
        f = torch.stack(feats, 1)
        return torch.cat([f, f[:, :4] ** 2], 1)

    def forward_features(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [self.forward(x)[:, :, None, None]]


class NoiseEncoder(nn.Module):
    """Features that ignore the image content (a hash of its bytes seeds them)."""

    num_features = 12
    in_chans = 1
    image_size = (H, W)

    def __init__(self) -> None:
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = []
        for im in x:
            h = int.from_bytes(hashlib.blake2b(im.numpy().tobytes(), digest_size=4).digest(),
                               "little")
            out.append(torch.from_numpy(np.random.default_rng(h).normal(size=12)).float())
        return torch.stack(out) + self.dummy * 0


class TinyConv(nn.Module):
    """A real (trainable) conv tower for the fine-tune protocol."""

    num_features = 8
    in_chans = 1
    image_size = (H, W)

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(1, 8, 3, 2, 1), nn.ReLU(), nn.Conv2d(8, 8, 3, 2, 1),
                                 nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TinyCLIP(nn.Module):
    """encode_image / encode_text over an image tower and a hashed bag of words."""

    def __init__(self, visual: nn.Module, dim: int = 8) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.visual = visual
        self.img_proj = nn.Linear(visual.num_features, dim)
        self.txt_proj = nn.Linear(64, dim)
        self.logit_scale = nn.Parameter(torch.tensor(np.log(10.0), dtype=torch.float32))

    def encode_image(self, x: torch.Tensor, normalize: bool = True) -> torch.Tensor:
        z = self.img_proj(self.visual(x))
        return nn.functional.normalize(z, dim=-1) if normalize else z

    def encode_text(self, texts: list[str], normalize: bool = True) -> torch.Tensor:
        bags = torch.zeros(len(texts), 64)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                bags[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % 64] += 1
        z = self.txt_proj(bags)
        return nn.functional.normalize(z, dim=-1) if normalize else z
