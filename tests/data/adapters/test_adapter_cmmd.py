from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mammofm.data.adapters import AdapterError, load_adapter

from data_fixtures import write_dicom

CLINICAL = pd.DataFrame({
    "ID1": ["D1-0001", "D2-0002", "D2-0002"],
    "LeftRight": ["R", "L", "R"],
    "Age": [44, 61, 61],
    "number": [2, 2, 2],
    "abnormality": ["calcification", "both", "mass"],
    "classification": ["Benign", "Malignant", "Benign"],
    "subtype": [None, "Luminal A", None],
})


def write_cmmd(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    CLINICAL.to_excel(root / "CMMD_clinicaldata_revision.xlsx", index=False)
    img = np.full((16, 12), 7, np.uint8)
    for pid, lat_views in (("D1-0001", [("R", "cranio-caudal"), ("R", "medio-lateral oblique")]),
                           ("D2-0002", [("L", "cranio-caudal"), ("R", "medio-lateral oblique")])):
        study = f"1.2.3.{pid[-1]}"
        for i, (lat, meaning) in enumerate(lat_views, 1):
            write_dicom(root / "CMMD" / pid / "07-18-2010-NA-NA-1" / "1.000-NA-2" / f"1-{i}.dcm",
                        img, study_uid=study, series_uid=study + ".1", sop_uid=f"{study}.1.{i}",
                        patient_id=pid, laterality=lat, view_meaning=meaning)
    return root


def test_cmmd_reads_headers_and_clinical_rows(tmp_path: Path) -> None:
    res = load_adapter("cmmd").read(write_cmmd(tmp_path / "cmmd"))
    m = res.manifest.set_index("image_id")
    assert len(m) == 4
    assert list(m.loc[["1.2.3.1.1.1", "1.2.3.1.1.2"], "view"]) == ["CC", "MLO"]
    assert m.loc["1.2.3.2.1.1", "laterality"] == "L"
    assert m.loc["1.2.3.2.1.1", "malignant"] == 1.0
    assert m.loc["1.2.3.2.1.1", "mass"] == 1.0 and m.loc["1.2.3.2.1.1", "calcification"] == 1.0
    assert m.loc["1.2.3.2.1.2", "malignant"] == 0.0 and m.loc["1.2.3.2.1.2", "mass"] == 1.0
    assert m.loc["1.2.3.1.1.1", "calcification"] == 1.0 and m.loc["1.2.3.1.1.1", "mass"] == 0.0
    assert m.loc["1.2.3.2.1.1", "subtype"] == "Luminal A"
    assert math.isnan(m.loc["1.2.3.1.1.1", "composition_class"])
    assert res.exams["1.2.3.1"].patient_age == 44
    assert m.loc["1.2.3.1.1.1", "orig_height"] == 16


def test_cmmd_missing_column_and_no_dicoms(tmp_path: Path) -> None:
    root = write_cmmd(tmp_path / "cmmd")
    CLINICAL.drop(columns=["classification"]).to_excel(
        root / "CMMD_clinicaldata_revision.xlsx", index=False)
    with pytest.raises(AdapterError, match=r"xlsx.*'classification'"):
        load_adapter("cmmd").read(root)
    empty = tmp_path / "empty"
    empty.mkdir()
    CLINICAL.to_excel(empty / "CMMD_clinicaldata_revision.xlsx", index=False)
    with pytest.raises(AdapterError, match="no readable DICOM"):
        load_adapter("cmmd").read(empty)
