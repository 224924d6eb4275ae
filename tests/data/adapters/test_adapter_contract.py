"""Contract tests over the whole adapter registry, each on its own fixture in public format."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mammofm.birads import Exam
from mammofm.common.manifest import ANNOTATION_COLUMNS, MANIFEST_COLUMNS
from mammofm.data import BOX_CLASSES, LABEL_COLUMNS
from mammofm.data.adapters import AdapterError, AdapterResult, list_adapters, load_adapter

from test_adapter_cbis_ddsm import write_cbis
from test_adapter_cmmd import write_cmmd
from test_adapter_embed import write_embed
from test_adapter_inbreast import write_inbreast
from test_adapter_rsna import write_rsna
from test_adapter_vindr import write_vindr

WRITERS: dict[str, Callable[[Path], Path]] = {
    "vindr": write_vindr, "cbis_ddsm": write_cbis, "rsna": write_rsna, "embed": write_embed,
    "cmmd": write_cmmd, "inbreast": write_inbreast,
}


def test_every_registered_adapter_has_a_fixture() -> None:
    assert sorted(WRITERS) == list_adapters()


def _read(name: str, root: Path, tmp: Path) -> AdapterResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_adapter(name).read(root, work_dir=tmp / "work")


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_adapter_contract(name: str, tmp_path: Path) -> None:
    res = _read(name, WRITERS[name](tmp_path / name), tmp_path)
    m, a = res.manifest, res.annotations
    assert len(m) > 0 and list(m.columns[:len(MANIFEST_COLUMNS)]) == list(MANIFEST_COLUMNS)
    assert set(LABEL_COLUMNS) <= set(m.columns)
    assert (m["image_path"] == "").all() and (m["dataset"] == name).all()
    ok = m[m["status"] == "ok"]
    assert len(ok) and (ok["source_path"].str.len() > 0).all()
    assert m["image_id"].is_unique
    assert set(m["laterality"].dropna()) <= {"L", "R"}
    assert set(m["split"]) <= {"train", "val", "test", "unlabeled"}
    assert set(m["study_id"]) <= set(res.exams)
    assert all(isinstance(e, Exam) and e.study_id == k for k, e in res.exams.items())
    for e in res.exams.values():   # JSON round trip: the records are valid schema objects
        assert Exam.model_validate_json(e.model_dump_json()) == e
    for c in LABEL_COLUMNS:        # labels are floats: 0/1/class index or NaN, never strings
        assert m[c].dtype == float
    assert list(a.columns) == list(ANNOTATION_COLUMNS)
    if len(a):
        assert set(a["image_id"]) <= set(m["image_id"])
        assert set(a["kind"]) <= set(BOX_CLASSES)
        boxed = a.dropna(subset=["x0"]).merge(m[["image_id", "orig_height", "orig_width"]],
                                              on="image_id")
        assert (boxed["x0"] < boxed["x1"]).all() and (boxed["y0"] < boxed["y1"]).all()
        assert (boxed[["x0", "y0"]] >= 0).all().all()
        sized = boxed.dropna(subset=["orig_width"])
        assert (sized["x1"] <= sized["orig_width"]).all()
        assert (sized["y1"] <= sized["orig_height"]).all()


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_adapter_on_empty_folder_names_the_missing_file(name: str, tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match=str(tmp_path)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load_adapter(name).read(tmp_path)


def test_unknown_adapter_lists_known_ones() -> None:
    with pytest.raises(KeyError, match="vindr"):
        load_adapter("ddsm-classic")
    assert np.all([load_adapter(n).name == n for n in list_adapters()])
