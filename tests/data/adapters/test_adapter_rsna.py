from __future__ import annotations

import math
from pathlib import Path

import pytest

from mammofm.data.adapters import AdapterError, load_adapter

TRAIN = """site_id,patient_id,image_id,laterality,view,age,cancer,biopsy,invasive,BIRADS,implant,density,machine_id,difficult_negative_case
2,10006,462822612,L,CC,61.0,0,0,0,,0,,29,False
2,10006,1459541791,L,MLO,61.0,0,0,0,,0,,29,False
2,10006,1864590858,R,MLO,61.0,0,0,0,,0,,29,False
2,10006,1874946579,R,CC,61.0,0,0,0,,0,,29,False
1,10038,1967300488,L,MLO,55.0,1,1,1,0,0,C,21,False
1,10038,2142944869,L,AT,55.0,1,1,1,0,0,C,21,False
1,10038,850559196,R,CC,55.0,0,0,0,1,1,B,21,True
"""
TEST = """site_id,patient_id,image_id,laterality,view,age,implant,machine_id,prediction_id
2,10008,736471439,L,MLO,81,0,21,10008_L
2,10008,1591370361,L,LMO,81,0,21,10008_L
"""


def write_rsna(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.csv").write_text(TRAIN)
    (root / "test.csv").write_text(TEST)
    return root


def test_rsna_labels_views_and_unlabelled_test(tmp_path: Path) -> None:
    res = load_adapter("rsna").read(write_rsna(tmp_path / "rsna"))
    m = res.manifest.set_index("image_id")
    assert len(m) == 9
    assert m.loc["462822612", "source_path"].endswith("train_images/10006/462822612.dcm")
    assert m.loc["462822612", "malignant"] == 0.0
    assert math.isnan(m.loc["462822612", "birads_class"])
    assert math.isnan(m.loc["462822612", "composition_class"])    # density empty: unknown
    assert m.loc["1967300488", "malignant"] == 1.0                   # cancer=1 with BI-RADS 0
    assert m.loc["1967300488", "birads"] == "0" and m.loc["1967300488", "composition"] == "c"
    assert m.loc["850559196", "malignant"] == 0.0 and m.loc["850559196", "birads"] == "1"
    assert m.loc["2142944869", "view"] == "AT" and m.loc["1591370361", "view"] == "LMO"
    assert m.loc["1591370361", "split"] == "unlabeled"
    assert m.loc["1591370361", "prediction_id"] == "10008_L"
    assert math.isnan(m.loc["1591370361", "malignant"])
    assert set(m.loc[m["patient_id"] == "10006", "split"]) <= {"train", "val", "test"}
    assert len(set(m.loc[m["patient_id"] == "10006", "split"])) == 1   # split by patient
    exam = res.exams["10038"]
    assert exam.patient_age == 55 and exam.breast("R").findings[0].kind.value == "implant"


def test_rsna_missing_column(tmp_path: Path) -> None:
    root = write_rsna(tmp_path / "rsna")
    (root / "train.csv").write_text(TRAIN.replace(",cancer,", ",cancr,"))
    with pytest.raises(AdapterError, match=r"train.csv.*'cancer'"):
        load_adapter("rsna").read(root)
