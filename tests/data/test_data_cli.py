from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mammofm.cli import app

from adapters.test_adapter_rsna import write_rsna


def test_dataset_convert_writes_a_cohort_folder(tmp_path: Path) -> None:
    root = write_rsna(tmp_path / "rsna")
    out = tmp_path / "cohort"
    res = CliRunner().invoke(app, ["dataset", "convert", "rsna", str(root), str(out)])
    assert res.exit_code == 0, res.output
    assert "9 images" in res.output
    assert (out / "manifest.parquet").is_file()
    exams = [json.loads(line) for line in (out / "exams.jsonl").read_text().splitlines()]
    assert {e["study_id"] for e in exams} >= {"10006", "10038"}


def test_dataset_convert_names_a_missing_folder(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["dataset", "convert", "rsna", str(tmp_path / "nope"),
                                   str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "nope: dataset folder not found" in res.output
