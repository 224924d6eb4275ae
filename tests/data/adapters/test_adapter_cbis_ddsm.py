from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mammofm.data.adapters import load_adapter
from mammofm.data.images import read_mask

from data_fixtures import write_dicom

ST1, SE1, SEM1 = "1.3.6.1.4.1.9590.100.1.2.101", "1.3.6.1.4.1.9590.100.1.2.102", \
    "1.3.6.1.4.1.9590.100.1.2.103"
ST2, SE2, SEM2 = "1.3.6.1.4.1.9590.100.1.2.201", "1.3.6.1.4.1.9590.100.1.2.202", \
    "1.3.6.1.4.1.9590.100.1.2.203"
MASS = (
    "patient_id,breast_density,left or right breast,image view,abnormality id,abnormality type,"
    "mass shape,mass margins,assessment,pathology,subtlety,image file path,"
    "cropped image file path,ROI mask file path\n"
    f"P_00001,3,LEFT,CC,1,mass,IRREGULAR-ARCHITECTURAL_DISTORTION,SPICULATED,5,MALIGNANT,5,"
    f"Mass-Training_P_00001_LEFT_CC/{ST1}/{SE1}/000000.dcm,"
    f"Mass-Training_P_00001_LEFT_CC_1/{ST1}/{SEM1}/000000.dcm,"
    f"\"Mass-Training_P_00001_LEFT_CC_1/{ST1}/{SEM1}/000001.dcm\n\"\n"
)
CALC = (
    "patient_id,breast density,left or right breast,image view,abnormality id,abnormality type,"
    "calc type,calc distribution,assessment,pathology,subtlety,image file path,"
    "cropped image file path,ROI mask file path\n"
    f"P_00001,3,RIGHT,MLO,1,calcification,PUNCTATE-PLEOMORPHIC,N/A,4,BENIGN_WITHOUT_CALLBACK,2,"
    f"\"Calc-Training_P_00001_RIGHT_MLO/{ST2}/{SE2}/000000.dcm\n\","
    f"Calc-Training_P_00001_RIGHT_MLO_1/{ST2}/{SEM2}/000000.dcm,"
    f"Calc-Training_P_00001_RIGHT_MLO_1/{ST2}/{SEM2}/000001.dcm\n"
)


def write_cbis(root: Path) -> Path:
    (root).mkdir(parents=True, exist_ok=True)
    (root / "mass_case_description_train_set.csv").write_text(MASS)
    (root / "calc_case_description_train_set.csv").write_text(CALC)
    tree = root / "CBIS-DDSM"   # the NBIA tree: folder names unrelated to the CSV paths
    img = np.full((64, 40), 100, np.uint16)
    write_dicom(tree / "Mass-Training_P_00001_LEFT_CC/07-20-2016-DDSM-1/1.000-full-1/1-1.dcm",
                img, study_uid=ST1, series_uid=SE1, sop_uid=SE1 + ".1")
    mask = np.zeros((64, 40), np.uint8)
    mask[10:20, 5:12] = 255
    roi = tree / "Mass-Training_P_00001_LEFT_CC_1/07-21-2016-DDSM-2/1.000-ROI-2"
    write_dicom(roi / "1-1.dcm", np.full((10, 7), 9, np.uint8), study_uid=ST1, series_uid=SEM1,
                sop_uid=SEM1 + ".1")                       # the cropped image comes first here
    write_dicom(roi / "1-2.dcm", mask, study_uid=ST1, series_uid=SEM1, sop_uid=SEM1 + ".2")
    # the calcification's full image is not downloaded
    return root


def test_cbis_resolves_by_uid_and_reads_mask_boxes(tmp_path: Path) -> None:
    res = load_adapter("CBIS-DDSM").read(write_cbis(tmp_path / "cbis"), work_dir=tmp_path / "w")
    m = res.manifest.set_index("image_id")
    assert m.loc[SE1 + ".1", "status"] == "ok"
    assert m.loc[SE1 + ".1", "source_path"].endswith("1-1.dcm")
    assert (m.loc[SE1 + ".1", "orig_height"], m.loc[SE1 + ".1", "orig_width"]) == (64, 40)
    assert m.loc[SE2, "status"] == "failed" and SE2 in m.loc[SE2, "error"]
    assert m.loc[SE1 + ".1", "malignant"] == 1.0 and m.loc[SE1 + ".1", "composition"] == "c"
    assert m.loc[SE2, "malignant"] == 0.0 and m.loc[SE2, "suspicious_calcification"] == 1.0
    left = res.exams["P_00001"].breast("L")
    mass = left.findings[0]
    assert (mass.kind.value, mass.shape.value, mass.margin.value) == (
        "mass", "irregular", "spiculated")
    assert [f.value for f in mass.associated_features] == ["architectural_distortion"]
    assert left.assessment.value == "5"
    calc = res.exams["P_00001"].breast("R").findings[0]
    assert calc.morphology.value == "fine_pleomorphic" and calc.distribution is None
    a = res.annotations.set_index("image_id")
    assert tuple(a.loc[SE1 + ".1", ["x0", "y0", "x1", "y1"]]) == (5.0, 10.0, 12.0, 20.0)
    assert read_mask(a.loc[SE1 + ".1", "mask_path"]).sum() == 70
    assert np.isnan(a.loc[SE2, "x0"])      # no image, no box


def test_cbis_metadata_csv_route(tmp_path: Path) -> None:
    root = write_cbis(tmp_path / "cbis")
    (root / "metadata.csv").write_text(
        "Series UID,Collection,Subject ID,Study UID,File Location\n"
        f"{SE1},CBIS-DDSM,Mass-Training_P_00001_LEFT_CC,{ST1},"
        ".\\CBIS-DDSM\\Mass-Training_P_00001_LEFT_CC\\07-20-2016-DDSM-1\\1.000-full-1\n"
        f"{SEM1},CBIS-DDSM,Mass-Training_P_00001_LEFT_CC_1,{ST1},"
        ".\\CBIS-DDSM\\Mass-Training_P_00001_LEFT_CC_1\\07-21-2016-DDSM-2\\1.000-ROI-2\n")
    res = load_adapter("cbis_ddsm").read(root)
    a = res.annotations.set_index("image_id")
    assert tuple(a.loc[SE1 + ".1", ["x0", "y0", "x1", "y1"]]) == (5.0, 10.0, 12.0, 20.0)
    assert a.loc[SE1 + ".1", "mask_path"] == ""          # no work_dir: no mask files


def test_cbis_bad_path_row_is_recorded_and_skipped(tmp_path: Path) -> None:
    root = write_cbis(tmp_path / "cbis")
    (root / "calc_case_description_train_set.csv").write_text(
        CALC.replace(f"Calc-Training_P_00001_RIGHT_MLO/{ST2}/{SE2}/000000.dcm", "N/A"))
    res = load_adapter("cbis_ddsm").read(root)
    assert len(res.errors) == 1 and "calc_case_description_train_set.csv: row 2" in res.errors[0]
    assert list(res.manifest["image_id"]) == [SE1 + ".1"]


@pytest.mark.parametrize("value,expected", [
    ("IRREGULAR-ARCHITECTURAL_DISTORTION", ("mass", None, True)),
    ("ARCHITECTURAL_DISTORTION", ("architectural_distortion", None, False)),
    ("LYMPH_NODE", ("lymph_node", None, False)),
    ("FOCAL_ASYMMETRIC_DENSITY", ("asymmetry", "focal", False)),
    ("ASYMMETRIC_BREAST_TISSUE", ("asymmetry", "global", False)),
    ("LOBULATED-IRREGULAR", ("mass", None, False)),
    ("N/A", ("mass", None, False)),
])
def test_cbis_mass_shape_column_kinds(value: str, expected: tuple) -> None:
    from mammofm.data.adapters.cbis_ddsm import _mass_or_other, _split_values

    assert _mass_or_other(_split_values(value)) == expected


def test_cbis_compound_keeps_most_suspicious_and_notes_unmapped() -> None:
    from mammofm.data.adapters.base import Unmapped, pick_descriptor

    u = Unmapped()
    assert pick_descriptor("shape", ["LOBULATED", "IRREGULAR"], u) == "irregular"
    assert pick_descriptor("margin", ["CIRCUMSCRIBED", "ILL_DEFINED"], u) == "indistinct"
    assert pick_descriptor("morphology", ["ROUND_AND_REGULAR"], u) == "round"  # CBIS legacy term
    assert pick_descriptor("morphology", ["STARRY_SKY"], u) is None
    assert u.notes() == ["unmapped morphology 'STARRY_SKY': 1 row(s)"]
