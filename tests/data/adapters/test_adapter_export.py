"""Adapter -> cohort folder -> (stand-in preprocessing) -> map_annotations -> load_cohort."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pydicom

from mammofm.common.geometry import fit_transform
from mammofm.common.manifest import read_manifest, write_manifest
from mammofm.data import MammoImageDataset, load_cohort, map_annotations
from mammofm.data.adapters import convert_dataset
from mammofm.data.cohort import read_exams

from test_adapter_inbreast import write_inbreast


def test_convert_then_prepare_then_load(tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    res = convert_dataset("inbreast", write_inbreast(tmp_path / "inb"), out, progress=False)
    summary = json.loads((out / "adapter.json").read_text())
    assert summary["images"] == 3 and summary["annotations"] == len(res.annotations)
    assert read_exams(out / "exams.jsonl") == res.exams
    ann = pd.read_parquet(out / "annotations.parquet")
    mask_rel = ann.loc[ann["kind"] == "mass", "mask_path"].iloc[0]
    assert not Path(mask_rel).is_absolute() and (out / mask_rel).is_file()

    # stand-in for `mammofm preprocess`: crop, flip right breasts, fit into 32x20
    man = read_manifest(out / "manifest.parquet")
    prepared = out / "prepared" / "32x20"
    rows = []
    for _, r in man.iterrows():
        pixels = pydicom.dcmread(r["source_path"]).pixel_array
        pixels[20:31, 10:19] = 40000     # something to look at where the mass is
        ft = fit_transform(pixels.shape, (4, 0, 60, 40), (32, 20), r["laterality"] == "R")
        name = f"images/{r['image_id']}.png"
        (prepared / "images").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(prepared / name), ft.image_to_output(pixels))
        rows.append({**r.to_dict(), "image_path": name, "crop_box": ft.crop_box,
                     "scale": ft.scale, "pad": ft.pad, "flipped": ft.flipped})
    write_manifest(pd.DataFrame(rows), prepared / "manifest.parquet")
    ann_abs = ann.assign(mask_path=[str(out / p) if p else "" for p in ann["mask_path"]])
    mapped = map_annotations(ann_abs, pd.DataFrame(rows), out_dir=prepared, out_size=(32, 20))
    mapped.to_parquet(prepared / "annotations.parquet", index=False)

    cohort = load_cohort(prepared)                   # exams.jsonl found two levels up
    assert set(cohort.exams) == set(res.exams)
    ds = MammoImageDataset(cohort.manifest, cohort.annotations)
    item = next(ds[i] for i in range(len(ds)) if ds.manifest.loc[i, "image_id"] == "22678622")
    assert item["image"].shape == (1, 32, 20)
    mass = item["boxes"][item["box_labels"] == 0][0].numpy()
    ys, xs = np.nonzero(item["mask"][0].numpy())
    np.testing.assert_allclose([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], mass, atol=1.0)
    ys, xs = np.nonzero(item["image"][0].numpy() > 0.3)   # the bright patch sits in the box
    np.testing.assert_allclose([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], mass, atol=1.0)
    assert item["labels"]["mass"].item() == 1.0
