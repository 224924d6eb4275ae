from __future__ import annotations

from pathlib import Path

import pytest

from mammofm.data.adapters import AdapterError, load_adapter

CLINICAL = """empi_anon,acc_anon,study_date_anon,desc,tissueden,asses,side,numfind,massshape,massmargin,massdens,calcfind,calcdistri,calcnumber,path_severity,age_at_study,RACE_DESC,ETHNIC_GROUP_DESC
11111111,2222222222222222,2017-03-01,MG Screening Bilateral,3.0,A,L,1.0,X,S,,,,,0.0,58.0,African American  or Black,Non-Hispanic or Latino
11111111,2222222222222222,2017-03-01,MG Screening Bilateral,3.0,N,R,2.0,,,,,,,,58.0,African American  or Black,Non-Hispanic or Latino
33333333,4444444444444444,2018-05-09,MG Diagnostic Left,2.0,B,B,1.0,,,,,,,,71.0,Caucasian or White,Non-Hispanic or Latino
"""
METADATA = """empi_anon,acc_anon,anon_dicom_path,StudyDescription,SeriesDescription,FinalImageType,ImageLateralityFinal,ViewPosition,spot_mag,num_roi,ROI_coords
11111111,2222222222222222,images/11111111/2222222222222222/1.2.826.0.1.1.dcm,MG Screening Bilateral,L CC,2D,L,CC,,1,"((100, 50, 180, 120),)"
11111111,2222222222222222,images/11111111/2222222222222222/1.2.826.0.1.2.dcm,MG Screening Bilateral,L MLO,2D,L,MLO,,1,"[[90, 40, 170, 110]]"
11111111,2222222222222222,images/11111111/2222222222222222/1.2.826.0.1.3.dcm,MG Screening Bilateral,R CC,2D,R,CC,,0,()
11111111,2222222222222222,images/11111111/2222222222222222/1.2.826.0.1.4.dcm,MG Screening Bilateral,L CC C-View,C-view,L,CC,,0,
33333333,4444444444444444,images/33333333/4444444444444444/1.2.826.0.2.1.dcm,MG Diagnostic Left,L XCCL,2D,L,XCCL,1.0,0,
"""


def write_embed(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "EMBED_OpenData_clinical.csv").write_text(CLINICAL)
    (root / "EMBED_OpenData_metadata.csv").write_text(METADATA)
    return root


def test_embed_join_codes_boxes_and_licence(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="EMBED licence"):
        res = load_adapter("embed").read(write_embed(tmp_path / "embed"))
    assert res.licence_note and "EMBED" in res.licence_note
    m = res.manifest.set_index("image_id")
    assert list(m.index) == ["1.2.826.0.1.1", "1.2.826.0.1.2", "1.2.826.0.1.3", "1.2.826.0.2.1"]
    lcc, rcc, xccl = m.loc["1.2.826.0.1.1"], m.loc["1.2.826.0.1.3"], m.loc["1.2.826.0.2.1"]
    assert lcc["birads"] == "0" and lcc["mass"] == 1.0 and lcc["malignant"] == 1.0
    assert lcc["composition"] == "c" and rcc["birads"] == "1" and rcc["mass"] == 0.0
    assert rcc["malignant"] == 0.0                       # BI-RADS 1, no pathology
    assert xccl["view"] == "XCCL" and xccl["birads"] == "2"   # side B: both breasts
    assert lcc["RACE_DESC"] == "African American  or Black"
    mass = res.exams["2222222222222222"].breast("L").findings[0]
    assert (mass.shape.value, mass.margin.value, mass.pathology.value) == (
        "irregular", "spiculated", "malignant")
    a = res.annotations.set_index("image_id")
    assert tuple(a.loc["1.2.826.0.1.1", ["x0", "y0", "x1", "y1"]]) == (50.0, 100.0, 120.0, 180.0)
    assert tuple(a.loc["1.2.826.0.1.2", ["x0", "y0", "x1", "y1"]]) == (40.0, 90.0, 110.0, 170.0)
    assert set(a["kind"]) == {"mass"}
    assert xccl["composition"] == "b" and xccl["spot_mag"] == "1.0"


def test_embed_missing_column(tmp_path: Path) -> None:
    root = write_embed(tmp_path / "embed")
    (root / "EMBED_OpenData_metadata.csv").write_text(METADATA.replace("ROI_coords", "roi"))
    with pytest.warns(UserWarning), pytest.raises(AdapterError,
                                                  match=r"metadata.csv.*'ROI_coords'"):
        load_adapter("embed").read(root)


def test_embed_bad_roi_is_recorded_and_image_kept(tmp_path: Path) -> None:
    root = write_embed(tmp_path / "embed")
    (root / "EMBED_OpenData_metadata.csv").write_text(
        METADATA.replace('"[[90, 40, 170, 110]]"', '"[[90, 40, 170]]"'))
    with pytest.warns(UserWarning):
        res = load_adapter("embed").read(root)
    assert len(res.errors) == 1 and "metadata.csv: row 3" in res.errors[0]
    assert "1.2.826.0.1.2" in set(res.manifest["image_id"])
    assert "1.2.826.0.1.2" not in set(res.annotations["image_id"])


def test_licence_warnings_for_a_model_trained_on_embed() -> None:
    from mammofm.data.adapters import licence_warnings

    with pytest.warns(UserWarning, match="EMBED"):
        notes = licence_warnings(["rsna", "embed", "embed"])
    assert len(notes) == 1
    assert licence_warnings(["rsna", "vindr"], warn=False) == []
