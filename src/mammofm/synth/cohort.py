"""Writing a synthetic cohort folder (layout in docs/CONTRACTS.md, "Cohort layout").

One patient is one job: its four DICOMs, its lesion masks and a small part record
(``.parts/<patient_id>.json``, written last and atomically) that holds its Exam, report,
manifest and annotation rows. A rerun reuses finished parts, so a killed job resumes; the
cohort tables are assembled from the parts in patient order, so bytes do not depend on the
number of workers. Failures are recorded per patient and the job carries on.
"""

from __future__ import annotations

import hashlib
import json
import os
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd

from mammofm.common.atomic import atomic_write_bytes, atomic_write_text
from mammofm.common.manifest import ANNOTATION_COLUMNS, to_frame, write_manifest
from mammofm.common.seed import rng as make_rng

from .config import CohortConfig, get_prevalence, get_site
from .exams import PatientPlan, sample_patient

PARTS_DIR = ".parts"
VIEWS = (("L", "CC"), ("L", "MLO"), ("R", "CC"), ("R", "MLO"))
#: extra annotation columns beside ANNOTATION_COLUMNS
ANNOTATION_EXTRA = ("conspicuity", "composition", "descriptors", "assessment")


def config_hash(cfg: CohortConfig) -> str:
    """What a part must match to be reused (workers and N do not change a patient)."""
    key = {k: v for k, v in json.loads(cfg.to_json()).items()
           if k not in ("patients", "first_patient")}
    return hashlib.blake2b(json.dumps(key, sort_keys=True).encode(), digest_size=8).hexdigest()


def patient_split(cfg: CohortConfig, index: int) -> str:
    u = float(make_rng(cfg.seed, cfg.site, index, "split").random())
    tr, va, _ = cfg.split
    return "train" if u < tr else ("val" if u < tr + va else "test")


def _report(plan: PatientPlan, cfg: CohortConfig) -> dict[str, Any] | None:
    try:
        from mammofm.reports import STYLES, write
    except ImportError:  # the report writer is optional at this layer
        return None
    styles = list(cfg.report_styles) or sorted(STYLES)
    r = make_rng(cfg.seed, plan.index, "report")
    style = styles[int(r.integers(0, len(styles)))]
    text = write(plan.exam, style, int(r.integers(0, 2**31 - 1)))
    return {"study_id": plan.exam.study_id, "patient_id": plan.exam.patient_id,
            "style": style, "text": text}


def _transfer_syntax(site_ts: dict[str, float], seed: int, index: int, site: str) -> str:
    names = sorted(site_ts)
    p = np.array([site_ts[n] for n in names], float)
    return names[int(make_rng(seed, site, index, "ts").choice(len(names), p=p / p.sum()))]


def generate_patient(cfg: CohortConfig, index: int, out_dir: Path) -> dict[str, Any]:
    """Render and write one patient; returns its part record (also written to .parts/)."""
    from mammofm.dicom.write import MGImageMeta, OPTIONAL_GROUPS, deterministic_uid, write_mg

    from .render import acquisition_choices, render_view

    site = get_site(cfg.site)
    plan = sample_patient(cfg.seed, index, get_prevalence(cfg.prevalence), site=cfg.site)
    exam = plan.exam
    pid, study = str(exam.patient_id), str(exam.study_id)
    split = patient_split(cfg, index)
    ts = _transfer_syntax(site.transfer_syntaxes, cfg.seed, index, cfg.site)
    manifest_rows: list[dict[str, Any]] = []
    ann_rows: list[dict[str, Any]] = []
    optional = sorted(OPTIONAL_GROUPS)
    for n, (lat, view) in enumerate(VIEWS):
        key = (cfg.site, index, lat, view)
        acq = acquisition_choices(site, cfg.seed, key)
        rv = render_view(plan.breasts[lat], view, cfg.size, site, acq, cfg.lesion_gain)
        sop = str(deterministic_uid(cfg.seed, cfg.site, index, lat, view, "sop"))
        series = str(deterministic_uid(cfg.seed, cfg.site, index, lat, view, "series"))
        r = make_rng(cfg.seed, key, "omit")
        omit = (optional[int(r.integers(0, len(optional)))],) if r.random() < site.omit_fraction else ()
        meta = MGImageMeta(
            patient_id=pid, study_uid=study, series_uid=series, sop_uid=sop, laterality=lat,
            view=view, pixel_spacing_mm=rv.spacing, patient_name=f"SYNTHETIC^{pid}",
            patient_birth_date=exam.exam_date.replace(year=exam.exam_date.year - plan.age)
            if exam.exam_date else None,
            patient_age=plan.age, study_date=exam.exam_date, accession_number=f"A{index:07d}",
            series_number=n + 1, instance_number=1, photometric=rv.presentation.photometric,
            bits_stored=rv.presentation.bits_stored, windows=rv.presentation.windows,
            voi_lut_function=rv.presentation.voi_lut_function, manufacturer=site.manufacturer,
            model_name=site.model_name, institution=site.institution, kvp=site.kvp,
            exposure_mas=round(40 + 1.2 * rv.thickness_mm, 1),
            body_part_thickness_mm=round(rv.thickness_mm, 1),
            compression_force_n=round(float(r.uniform(60, 140)), 1),
            implant_present=plan.breasts[lat].implant is not None, mirrored=rv.mirrored,
            omit=omit)
        rel = Path("dicom") / pid / study / f"{sop}.dcm"
        write_mg(out_dir / rel, rv.presentation.pixels, meta, ts)
        manifest_rows.append({
            "image_id": sop, "patient_id": pid, "study_id": study, "laterality": lat,
            "view": view, "source_path": str(rel), "image_path": "",
            "orig_height": cfg.size[0], "orig_width": cfg.size[1],
            "pixel_spacing_mm": round(rv.spacing, 6), "dataset": f"synth-{cfg.site}",
            "split": split, "status": "ok", "error": "", "site": cfg.site,
            "manufacturer": site.manufacturer, "photometric": rv.presentation.photometric,
            "transfer_syntax": ts, "bits_stored": rv.presentation.bits_stored,
            "voi_lut_function": rv.presentation.voi_lut_function or "LINEAR",
            "mirrored": rv.mirrored, "omitted": ",".join(omit),
            "composition": plan.breasts[lat].composition.value,
        })
        for les in rv.lesions:
            mrel = Path("masks") / f"{sop}_{les.finding_index}.png"
            ok, buf = cv2.imencode(".png", les.mask.astype(np.uint8) * 255)
            if not ok:  # pragma: no cover
                raise RuntimeError(f"{mrel}: cannot encode mask")
            atomic_write_bytes(out_dir / mrel, buf.tobytes())
            f = les.finding
            x0, y0, x1, y1 = les.box
            ann_rows.append({
                "image_id": sop, "study_id": study, "laterality": lat, "view": view,
                "finding_index": les.finding_index, "kind": f.kind.value,
                "x0": x0, "y0": y0, "x1": x1, "y1": y1, "mask_path": str(mrel),
                "pathology": f.pathology.value if f.pathology else "",
                "conspicuity": round(les.conspicuity, 4),
                "composition": plan.breasts[lat].composition.value,
                "descriptors": json.dumps(f.descriptors(), sort_keys=True),
                "assessment": f.assessment.value if f.assessment else "",
            })
    part = {"index": index, "patient_id": pid, "study_id": study, "config": config_hash(cfg),
            "exam": json.loads(exam.to_json()), "report": _report(plan, cfg),
            "manifest": manifest_rows, "annotations": ann_rows, "error": None}
    text = json.dumps(part, sort_keys=True)
    atomic_write_text(out_dir / PARTS_DIR / f"{index:06d}.json", text)
    return json.loads(text)  # exactly what a resumed run reads back


def _job(args: tuple[str, int, str]) -> dict[str, Any]:
    cfg_json, index, out = args
    cfg = CohortConfig.from_json(cfg_json)
    try:
        return generate_patient(cfg, index, Path(out))
    except Exception as exc:  # a batch job records the failure and carries on
        return {"index": index, "error": f"patient {index}: {type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "config": config_hash(cfg)}


def _load_part(path: Path, want: str) -> dict[str, Any] | None:
    try:
        part = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return part if part.get("config") == want and not part.get("error") else None


def generate_cohort(out_dir: str | os.PathLike[str], config: CohortConfig | None = None, *,
                    workers: int = 1, preview: bool = False, progress: bool = True,
                    **overrides: Any) -> Path:
    """Write a synthetic cohort into ``out_dir`` and return it.

    ``config`` fields may be overridden by keyword (``patients=40, seed=1, size=(512, 320),
    site="site-b"``). Same config -> byte-identical files, whatever ``workers`` is.
    """
    cfg = replace(config or CohortConfig(), **overrides)
    get_site(cfg.site), get_prevalence(cfg.prevalence)  # fail early on unknown names
    if not cfg.lesion_gain > 0:
        raise ValueError(f"lesion_gain must be > 0 (1 = physical contrast), got {cfg.lesion_gain!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "synth_config.json", cfg.to_json() + "\n")
    want = config_hash(cfg)
    indices = list(range(cfg.first_patient, cfg.first_patient + cfg.patients))
    parts: dict[int, dict[str, Any]] = {}
    todo = []
    for i in indices:
        p = _load_part(out / PARTS_DIR / f"{i:06d}.json", want)
        if p is not None:
            parts[i] = p
        else:
            todo.append(i)
    jobs = [(cfg.to_json(), i, str(out)) for i in todo]
    from rich.progress import Progress

    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task(f"synth {cfg.patients} patients", total=len(indices),
                            completed=len(parts))
        if workers > 1 and len(jobs) > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                for part in pool.map(_job, jobs, chunksize=1):
                    parts[part["index"]] = part
                    bar.advance(task)
        else:
            for job in jobs:
                part = _job(job)
                parts[part["index"]] = part
                bar.advance(task)
    _assemble(out, [parts[i] for i in indices], cfg)
    if preview:
        from .preview import contact_sheet

        contact_sheet(out, out / "preview.png")
    return out


def _assemble(out: Path, parts: list[dict[str, Any]], cfg: CohortConfig) -> None:
    ok = [p for p in parts if not p.get("error")]
    failed = [p for p in parts if p.get("error")]
    exams = "".join(json.dumps(p["exam"], sort_keys=True) + "\n" for p in ok)
    atomic_write_text(out / "exams.jsonl", exams)
    reports = "".join(json.dumps(p["report"], sort_keys=True) + "\n" for p in ok if p.get("report"))
    atomic_write_text(out / "reports.jsonl", reports)
    rows = [r for p in ok for r in p["manifest"]]
    for p in failed:  # the manifest records a failed patient as failed rows
        rows.append({"patient_id": f"index-{p['index']}", "status": "failed", "error": p["error"],
                     "dataset": f"synth-{cfg.site}", "split": patient_split(cfg, p["index"])})
    write_manifest(to_frame(rows), out / "manifest.parquet")
    ann = pd.DataFrame([a for p in ok for a in p["annotations"]],
                       columns=list(ANNOTATION_COLUMNS) + list(ANNOTATION_EXTRA))
    for c in ("x0", "y0", "x1", "y1", "conspicuity"):
        ann[c] = ann[c].astype(float)
    ann["finding_index"] = ann["finding_index"].astype("int64")
    from mammofm.common.atomic import atomic_path

    with atomic_path(out / "annotations.parquet") as tmp:
        ann.to_parquet(tmp, index=False)
    if failed:
        atomic_write_text(out / "failures.jsonl", "".join(
            json.dumps({"index": p["index"], "error": p["error"]}) + "\n" for p in failed))
    elif (out / "failures.jsonl").exists():
        (out / "failures.jsonl").unlink()
