from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from mammofm.birads import Exam, Laterality
from mammofm.data import LABEL_COLUMNS, attach_labels, load_cohort
from mammofm.data.cohort import CohortError

from data_fixtures import write_prepared


def test_load_cohort_merges_labels_and_resolves_paths(prepared: Path) -> None:
    c = load_cohort(prepared)
    assert len(c.manifest) == 7
    assert set(LABEL_COLUMNS) <= set(c.manifest.columns)
    lcc = c.manifest.set_index("image_id").loc["S1_LCC"]
    rcc = c.manifest.set_index("image_id").loc["S1_RCC"]
    assert lcc["mass"] == 1.0 and lcc["malignant"] == 1.0 and lcc["birads"] == "4A"
    assert rcc["mass"] == 0.0 and rcc["malignant"] == 0.0
    assert Path(lcc["image_path"]).is_absolute() and Path(lcc["image_path"]).is_file()
    assert Path(c.annotations.loc[0, "mask_path"]).is_file()
    assert set(c.exams) == {"S1", "S2"} and isinstance(c.exams["S1"], Exam)
    assert c.reports["S2"] == "report of S2"
    assert set(c.split("test")["study_id"]) == {"S2"}


def test_load_cohort_tolerates_missing_annotations_and_reports(tmp_path: Path) -> None:
    prepared = write_prepared(tmp_path / "c", annotations=False, reports=False)
    c = load_cohort(prepared)
    assert len(c.annotations) == 0 and "x0" in c.annotations.columns
    assert c.reports == {}


def test_load_cohort_strict_on_missing_manifest_and_exams(tmp_path: Path) -> None:
    prepared = write_prepared(tmp_path / "c")
    (tmp_path / "c" / "exams.jsonl").unlink()
    with pytest.raises(CohortError, match="exams.jsonl"):
        load_cohort(prepared)
    (prepared / "manifest.parquet").unlink()
    with pytest.raises(CohortError, match="manifest.parquet"):
        load_cohort(prepared)


def test_bad_exam_line_names_file_and_line(tmp_path: Path) -> None:
    prepared = write_prepared(tmp_path / "c")
    path = tmp_path / "c" / "exams.jsonl"
    path.write_text(path.read_text() + '{"study_id": "S3", "breasts": {"X": {}}}\n')
    with pytest.raises(CohortError, match=r"exams.jsonl:3"):
        load_cohort(prepared)


def test_attach_labels_keeps_order_unknown_is_nan_and_overrides_win() -> None:
    from mammofm.birads import Breast

    exams = {"A": Exam(study_id="A", breasts={Laterality.L: Breast(assessment="2")})}
    man = pd.DataFrame({"image_id": ["3", "1", "2"], "study_id": ["A", "A", "B"],
                        "laterality": ["R", "L", "L"]})
    out = attach_labels(man, exams)
    assert list(out["image_id"]) == ["3", "1", "2"]
    assert out.loc[1, "birads_class"] == 2.0 and out.loc[1, "malignant"] == 0.0
    assert math.isnan(out.loc[0, "birads_class"])      # R breast not described
    assert math.isnan(out.loc[2, "mass"])              # study B has no Exam: unknown, not 0
    ov = pd.DataFrame({"study_id": ["A"], "laterality": ["R"], "malignant": [1.0]})
    out2 = attach_labels(man, exams, overrides=ov)
    assert out2.loc[0, "malignant"] == 1.0 and out2.loc[1, "malignant"] == 0.0


def test_importing_the_data_layer_and_adapters_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = ("import sys, mammofm.data, mammofm.data.adapters; "
            "from mammofm.data import load_cohort, attach_labels, map_annotations; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
