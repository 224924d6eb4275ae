"""The cohort folder: layout, valid DICOMs, consistent annotations, determinism, resume."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pydicom
import pytest

from mammofm.birads import Exam
from mammofm.common.manifest import ANNOTATION_COLUMNS, MANIFEST_COLUMNS, read_manifest
from mammofm.synth import generate_cohort
from mammofm.synth import cohort as cohort_mod

from mammofm.synth import CohortConfig


@pytest.fixture(scope="module")
def cfg(synth_cohort) -> CohortConfig:
    return CohortConfig.from_json((synth_cohort / "synth_config.json").read_text())


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_layout_and_tables(synth_cohort, cfg):
    man = read_manifest(synth_cohort / "manifest.parquet")
    assert set(MANIFEST_COLUMNS) <= set(man.columns)
    assert len(man) == 4 * cfg.patients and (man["status"] == "ok").all()
    assert (man.groupby("study_id").size() == 4).all()
    assert set(man.groupby("study_id").apply(
        lambda g: tuple(sorted(zip(g.laterality, g.view))), include_groups=False)) == {
        (("L", "CC"), ("L", "MLO"), ("R", "CC"), ("R", "MLO"))}
    # split by patient: no patient in two splits, every split used
    assert (man.groupby("patient_id")["split"].nunique() == 1).all()
    assert set(man["split"]) == {"train", "val", "test"}
    exams = [Exam.from_json(line) for line in (synth_cohort / "exams.jsonl").read_text().splitlines()]
    assert {e.study_id for e in exams} == set(man["study_id"])
    reports = [json.loads(x) for x in (synth_cohort / "reports.jsonl").read_text().splitlines()]
    assert len(reports) == cfg.patients and all(r["text"].strip() for r in reports)
    assert len({r["style"] for r in reports}) >= 3  # varied phrasing
    ann = pd.read_parquet(synth_cohort / "annotations.parquet")
    assert set(ANNOTATION_COLUMNS) <= set(ann.columns) and len(ann) > 10


def test_dicoms_are_mg_for_presentation_with_a_realistic_mix(synth_cohort, cfg):
    man = read_manifest(synth_cohort / "manifest.parquet")
    seen_ts, seen_pi, seen_voi = set(), set(), set()
    for _, row in man.iterrows():
        ds = pydicom.dcmread(synth_cohort / row["source_path"])
        assert ds.SOPClassUID.name.startswith("Digital Mammography X-Ray Image Storage - For Pres")
        assert ds.SOPInstanceUID == row["image_id"] and ds.StudyInstanceUID == row["study_id"]
        assert ds.PatientID == row["patient_id"]
        assert (ds.Rows, ds.Columns) == tuple(cfg.size)
        lat = ds.get("ImageLaterality") or ds.get("Laterality")
        assert lat == row["laterality"]
        assert ds.ViewCodeSequence[0].CodeValue == {"CC": "399162004", "MLO": "399368009"}[row["view"]]
        assert 12 <= ds.BitsStored <= 16
        seen_ts.add(ds.file_meta.TransferSyntaxUID.name)
        seen_pi.add(ds.PhotometricInterpretation)
        seen_voi.add(ds.get("VOILUTFunction", "LINEAR"))
    assert {"MONOCHROME1", "MONOCHROME2"} <= seen_pi
    assert "SIGMOID" in seen_voi
    assert len(seen_ts) >= 3 and "RLE Lossless" in seen_ts
    assert (man["omitted"] != "").any()  # some optional tags missing, as in real archives


def test_boxes_masks_and_pixels_agree(synth_cohort, cfg):
    man = read_manifest(synth_cohort / "manifest.parquet").set_index("image_id")
    ann = pd.read_parquet(synth_cohort / "annotations.parquet")
    for _, a in ann.iterrows():
        mask = cv2.imread(str(synth_cohort / a["mask_path"]), cv2.IMREAD_UNCHANGED) > 0
        assert mask.shape == tuple(cfg.size)
        ys, xs = np.nonzero(mask)
        assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) == (a.x0, a.y0, a.x1, a.y1)
        # lesions lie on the breast, not on the background
        ds = pydicom.dcmread(synth_cohort / man.loc[a["image_id"], "source_path"])
        px = ds.pixel_array.astype(float)
        top = float(2 ** ds.BitsStored - 1)
        level = px / top if ds.PhotometricInterpretation == "MONOCHROME2" else 1 - px / top
        frac_on_background = np.mean(level[mask] < 0.01)
        assert frac_on_background < 0.05


def test_findings_project_consistently_into_cc_and_mlo(synth_cohort, cfg):
    """A lateral finding sits in the lateral (upper) half of the CC; the same finding appears in
    both views of its breast, at a similar distance from the chest wall."""
    ann = pd.read_parquet(synth_cohort / "annotations.parquet")
    exams = {e.study_id: e for e in (Exam.from_json(x) for x in
                                     (synth_cohort / "exams.jsonl").read_text().splitlines())}
    h, w = cfg.size
    checked = 0
    for (study, lat, idx), g in ann.groupby(["study_id", "laterality", "finding_index"]):
        f = exams[study].breast(lat).findings[idx]
        if f.kind.value in ("implant",) or f.location.clock is None:
            continue
        views = dict(zip(g["view"], g[["x0", "y0", "x1", "y1"]].to_numpy()))
        if f.location.quadrant and f.location.quadrant.value in ("UOQ", "LOQ") and "CC" in views:
            assert (views["CC"][1] + views["CC"][3]) / 2 < h * 0.56
        if f.location.quadrant and f.location.quadrant.value in ("UIQ", "LIQ") and "CC" in views:
            assert (views["CC"][1] + views["CC"][3]) / 2 > h * 0.44
        if {"CC", "MLO"} <= set(views) and f.kind.value in ("mass", "architectural_distortion"):
            # distance from the chest wall edge (x from the wall: flip right breasts back)
            def wall_dist(b):
                cx = (b[0] + b[2]) / 2
                return cx if lat == "L" else w - cx
            dc, dm = wall_dist(views["CC"]), wall_dist(views["MLO"])
            assert abs(dm - 1.1 * dc) < 0.35 * w
            checked += 1
    assert checked >= 3


def test_same_seed_same_bytes_independent_of_n_and_workers(synth_cohort, tmp_path, cfg):
    """Three patients alone, one process, give the same files as inside the 40-patient cohort
    generated with two processes."""
    small = generate_cohort(tmp_path / "small", patients=3, seed=cfg.seed, size=cfg.size,
                            site="mixed", workers=1, progress=False)
    man = read_manifest(small / "manifest.parquet")
    for rel in list(man["source_path"]) + list(pd.read_parquet(small / "annotations.parquet")["mask_path"]):
        assert _digest(small / rel) == _digest(synth_cohort / rel), rel
    big_exams = (synth_cohort / "exams.jsonl").read_text().splitlines()[:3]
    assert (small / "exams.jsonl").read_text().splitlines() == big_exams
    other = generate_cohort(tmp_path / "other", patients=1, seed=cfg.seed + 1, size=cfg.size,
                            workers=1, progress=False)
    assert read_manifest(other / "manifest.parquet")["image_id"][0] not in set(man["image_id"])


def test_killed_job_resumes_to_the_same_bytes(tmp_path, monkeypatch):
    out = generate_cohort(tmp_path / "c", patients=3, seed=5, size=(256, 160), progress=False)
    want = {p: _digest(p) for p in sorted(out.rglob("*")) if p.is_file() and ".parts" not in p.parts}
    # simulate a job killed after patient 0: later parts and tables never written
    for p in sorted((out / ".parts").iterdir())[1:]:
        p.unlink()
    for name in ("manifest.parquet", "exams.jsonl"):
        (out / name).unlink()
    calls = []
    real = cohort_mod.generate_patient
    monkeypatch.setattr(cohort_mod, "generate_patient",
                        lambda cfg, i, o: calls.append(i) or real(cfg, i, o))
    generate_cohort(out, patients=3, seed=5, size=(256, 160), progress=False)
    assert calls == [1, 2]  # finished patient 0 reused
    got = {p: _digest(p) for p in sorted(out.rglob("*")) if p.is_file() and ".parts" not in p.parts}
    assert got == want


def test_a_failing_patient_is_recorded_and_the_rest_written(tmp_path, monkeypatch):
    real = cohort_mod.generate_patient

    def flaky(cfg, i, out):
        if i == 1:
            raise ValueError("detector exploded")
        return real(cfg, i, out)

    monkeypatch.setattr(cohort_mod, "generate_patient", flaky)
    out = generate_cohort(tmp_path / "c", patients=3, seed=5, size=(256, 160), progress=False)
    man = read_manifest(out / "manifest.parquet")
    assert (man["status"] == "ok").sum() == 8
    failed = man[man["status"] == "failed"]
    assert len(failed) == 1 and "patient 1: ValueError: detector exploded" in failed["error"].iloc[0]
    assert "detector exploded" in (out / "failures.jsonl").read_text()
    assert len((out / "exams.jsonl").read_text().splitlines()) == 2


def test_prepared_cohort_goes_through_the_real_pipeline(prepared_cohort, synth_cohort, cfg):
    from mammofm.data import load_cohort

    c = load_cohort(prepared_cohort)
    assert len(c.manifest) == 4 * cfg.patients and (c.manifest["status"] == "ok").all()
    assert {"split", "mass", "calcification", "composition_class", "malignant"} <= set(c.manifest.columns)
    src = read_manifest(synth_cohort / "manifest.parquet").set_index("image_id")
    m = c.manifest.set_index("image_id")
    # the preprocessor found the chest wall on its own: right breasts and mirrored images flip
    expect_flip = (src["laterality"] == "R") != src["mirrored"].astype(bool)
    assert (m.loc[src.index, "flipped"].astype(bool) == expect_flip).mean() > 0.95
    assert (m.loc[src.index, "split"] == src["split"]).all()
    assert len(c.annotations) == len(pd.read_parquet(synth_cohort / "annotations.parquet"))
    ann = c.annotations
    assert ((ann.x0 >= 0) & (ann.x1 <= 160) & (ann.y0 >= 0) & (ann.y1 <= 256)).all()
    assert len(c.exams) == cfg.patients and len(c.reports) == cfg.patients


def test_site_presets_change_the_acquisition(tmp_path):
    looks = {}
    for site in ("site-a", "site-b", "site-c"):
        out = generate_cohort(tmp_path / site, patients=2, seed=1, size=(256, 160), site=site,
                              progress=False)
        man = read_manifest(out / "manifest.parquet")
        looks[site] = man
        ds = pydicom.dcmread(out / man["source_path"].iloc[0])
        assert ds.Manufacturer == f"Synthetic Imaging {site[-1].upper()}"
    assert set(looks["site-a"]["transfer_syntax"]) == {"rle"}
    assert set(looks["site-b"]["transfer_syntax"]) == {"j2k"}
    assert set(looks["site-b"]["voi_lut_function"]) == {"SIGMOID"}
    assert set(looks["site-c"]["bits_stored"]) == {16}
    assert (looks["site-b"]["photometric"] == "MONOCHROME1").mean() > 0.5
    assert looks["site-c"]["pixel_spacing_mm"].iloc[0] > looks["site-a"]["pixel_spacing_mm"].iloc[0]
    # same patient index, different site: different patient and study ids
    assert not set(looks["site-a"]["study_id"]) & set(looks["site-b"]["study_id"])


def test_copy_of_cohort_is_relocatable(synth_cohort, tmp_path):
    """Paths in the cohort tables are relative, so a moved cohort still resolves."""
    dst = tmp_path / "moved"
    shutil.copytree(synth_cohort, dst, ignore=shutil.ignore_patterns("prepared"))
    man = read_manifest(dst / "manifest.parquet")
    assert all((dst / p).is_file() for p in man["source_path"])
