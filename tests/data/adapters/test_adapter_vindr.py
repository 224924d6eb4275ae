from __future__ import annotations

import math
from pathlib import Path

import pytest

from mammofm.data.adapters import AdapterError, load_adapter

BREAST = """study_id,series_id,image_id,laterality,view_position,height,width,breast_birads,breast_density,split
st01,se01,im01,L,CC,3518,2800,BI-RADS 1,DENSITY C,training
st01,se01,im02,L,MLO,3518,2800,BI-RADS 1,DENSITY C,training
st01,se02,im03,R,CC,3518,2800,BI-RADS 4,DENSITY C,training
st01,se02,im04,R,MLO,3518,2800,BI-RADS 4,DENSITY C,training
st02,se03,im05,L,CC,3580,2784,BI-RADS 2,DENSITY B,test
"""
FINDING = """study_id,series_id,image_id,laterality,view_position,height,width,breast_birads,breast_density,finding_categories,finding_birads,xmin,ymin,xmax,ymax,split
st01,se01,im01,L,CC,3518,2800,BI-RADS 1,DENSITY C,['No Finding'],,,,,,training
st01,se02,im03,R,CC,3518,2800,BI-RADS 4,DENSITY C,"['Nipple Retraction', 'Mass']",BI-RADS 4,1500.25,900.5,1800.75,1210.0,training
st01,se02,im04,R,MLO,3518,2800,BI-RADS 4,DENSITY C,['Mass'],BI-RADS 4,1400.0,1100.0,1700.0,1400.0,training
st01,se02,im04,R,MLO,3518,2800,BI-RADS 4,DENSITY C,['Suspicious Calcification'],BI-RADS 4,200.0,300.0,260.0,380.0,training
st01,se02,im03,R,CC,3518,2800,BI-RADS 4,DENSITY C,['Skin Thickening'],,100.0,100.0,300.0,300.0,training
st02,se03,im05,L,CC,3580,2784,BI-RADS 2,DENSITY B,['Global Asymmetry'],,10.0,20.0,2000.0,3000.0,test
"""


def write_vindr(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "breast-level_annotations.csv").write_text(BREAST)
    (root / "finding_annotations.csv").write_text(FINDING)
    return root


def test_vindr_reads_labels_findings_and_boxes(tmp_path: Path) -> None:
    res = load_adapter("vindr").read(write_vindr(tmp_path / "vindr"))
    m = res.manifest.set_index("image_id")
    assert list(m.index) == ["im01", "im02", "im03", "im04", "im05"]
    assert m.loc["im03", "source_path"].endswith("images/st01/im03.dicom")
    assert m.loc["im03", "split"] == "train" and m.loc["im05", "split"] == "test"
    assert m.loc["im01", "composition"] == "c" and m.loc["im05", "composition"] == "b"
    assert m.loc["im03", "birads"] == "4" and m.loc["im03", "mass"] == 1.0
    assert m.loc["im03", "suspicious_calcification"] == 1.0
    assert m.loc["im01", "mass"] == 0.0 and m.loc["im01", "malignant"] == 0.0
    assert math.isnan(m.loc["im03", "malignant"])       # BI-RADS 4 without pathology: unknown
    assert m.loc["im05", "asymmetry"] == 1.0
    right = res.exams["st01"].breast("R")
    masses = right.positive_findings("mass")
    assert len(masses) == 1 and [v.value for v in masses[0].views] == ["CC", "MLO"]
    assert [f.value for f in masses[0].associated_features] == ["nipple_retraction"]
    glob = res.exams["st02"].breast("L").findings[0]
    assert glob.asymmetry_type.value == "global"
    a = res.annotations
    assert sorted(a["kind"]) == ["asymmetry", "calcification", "mass", "mass"]
    row = a[(a["image_id"] == "im03")].iloc[0]
    assert (row["x0"], row["y0"], row["x1"], row["y1"]) == (1500.25, 900.5, 1800.75, 1210.0)
    assert list(a[a["image_id"] == "im04"]["finding_index"]) == [0, 1]


def test_vindr_missing_column_names_file_and_column(tmp_path: Path) -> None:
    root = write_vindr(tmp_path / "vindr")
    (root / "breast-level_annotations.csv").write_text(BREAST.replace("breast_density", "dens"))
    with pytest.raises(AdapterError, match=r"breast-level_annotations.csv.*'breast_density'"):
        load_adapter("vindr").read(root)


def test_vindr_bad_category_row_is_recorded_and_skipped(tmp_path: Path) -> None:
    root = write_vindr(tmp_path / "vindr")
    bad = FINDING.replace("['Global Asymmetry']", "\"['Global Asymmetry'\"")
    (root / "finding_annotations.csv").write_text(bad)
    res = load_adapter("vindr").read(root)
    assert len(res.errors) == 1 and "finding_annotations.csv: row 7" in res.errors[0]
    assert "asymmetry" not in set(res.annotations["kind"]) and len(res.annotations) == 3
