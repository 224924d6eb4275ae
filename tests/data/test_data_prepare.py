"""Converted public dataset -> real preprocessing -> prepared cohort keyed by the adapter's ids."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest

from mammofm.data import MammoImageDataset, load_cohort
from mammofm.data.adapters import convert_dataset
from mammofm.data.prepare import prepare_dataset, restore_source_identity

from data_fixtures import write_dicom

H, W = 128, 80


def _breast(side: str) -> np.ndarray:
    """A half-ellipse on the chest-wall side, thickest (brightest) at the chest wall, with a
    brighter patch where the mass is (the same place in both breasts' raw frames)."""
    yy, xx = np.mgrid[0:H, 0:W]
    x0 = 0 if side == "L" else W
    r2 = ((xx - x0) / 60.0) ** 2 + ((yy - H / 2) / 56.0) ** 2
    img = np.where(r2 <= 1, 1000 + 2000 * np.sqrt(np.clip(1 - r2, 0, 1)), 0)
    img[40:62, 20:38] += 1200
    return img.astype(np.uint16)


def test_prepare_dataset_keeps_adapter_ids_and_maps_boxes(tmp_path: Path) -> None:
    pytest.importorskip("mammofm.preprocess")
    sys.path.insert(0, str(Path(__file__).parent / "adapters"))
    from test_adapter_inbreast import PLIST, _roi, write_inbreast

    root = write_inbreast(tmp_path / "inb")
    for f in sorted((root / "AllDICOMs").glob("*.dcm")):
        ds = pydicom.dcmread(f)
        lat = f.name.split("_MG_")[1][0]
        write_dicom(f, _breast(lat), study_uid=ds.StudyInstanceUID,
                    series_uid=ds.SeriesInstanceUID, sop_uid=ds.SOPInstanceUID + ".9",
                    laterality=lat)
    (root / "AllXML" / "22678622.xml").write_text(PLIST.format(
        n=1, rois=_roi("Mass", [(20, 40), (38, 40), (38, 62), (20, 62)])))
    cohort = tmp_path / "cohort"
    convert_dataset("inbreast", root, cohort, progress=False)
    prepared = prepare_dataset(cohort, size=(64, 40), workers=1, progress=False)
    c = load_cohort(prepared)
    m = c.manifest.set_index("image_id")
    assert set(m.index) == {"22678622", "22678646", "22678670"}      # adapter ids, not SOPs
    assert (m["status"] == "ok").all(), m["error"].tolist()
    assert m["image_id_dicom"].str.endswith(".9").all()
    assert m.loc["22678622", "mass"] == 1.0 and m.loc["22678670", "malignant"] == 0.0
    assert bool(m.loc["22678670", "flipped"]) and not bool(m.loc["22678622", "flipped"])
    ds = MammoImageDataset(c.manifest, c.annotations)
    i = int(np.flatnonzero(ds.manifest["image_id"] == "22678622")[0])
    item = ds[i]
    assert item["image"].shape == (1, 64, 40) and item["boxes"].shape == (1, 4)
    x0, y0, x1, y1 = item["boxes"][0].tolist()
    patch = item["image"][0, int(y0) + 1:int(y1) - 1, int(x0) + 1:int(x1) - 1]
    rest = item["image"][0, int(y1) + 2:, :int(x0)]
    assert float(patch.mean()) > float(rest.mean()) + 0.1      # the box sits on the patch


def test_restore_source_identity_appends_unprocessed_rows() -> None:
    import pandas as pd

    pre = pd.DataFrame([{"image_id": "1.2.3", "source_path": "/x/a.dcm", "study_id": "9",
                         "laterality": "L", "status": "ok"}])
    src = pd.DataFrame([{"image_id": "a", "source_path": "/x/a.dcm", "study_id": "s1",
                         "laterality": "L", "status": "ok", "site": "x"},
                        {"image_id": "b", "source_path": "", "study_id": "s1",
                         "laterality": "R", "status": "failed", "error": "no file"}])
    out = restore_source_identity(pre, src).set_index("image_id")
    assert out.loc["a", "study_id"] == "s1" and out.loc["a", "study_id_dicom"] == "9"
    assert out.loc["a", "site"] == "x" and out.loc["b", "status"] == "failed"
