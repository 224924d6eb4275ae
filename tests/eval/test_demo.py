"""``mammofm demo`` end to end on a tiny configuration, and its resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mammofm.cli import app


@pytest.mark.slow
def test_demo_runs_every_stage_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--patients", "30", "--external-patients", "4",
            "--epochs", "1", "--tasks", "mass,retrieval_text_image,vqa", "--workers", "1"]
    res = CliRunner().invoke(app, args, env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    for stage in ("1/6 samples", "2/6 synth", "3/6 prepare", "4/6 pretrain", "5/6 benchmark"):
        assert stage in res.output
    assert "8/8 ok" in res.output  # the real CBIS-DDSM samples all preprocessed
    assert len(list((out / "samples" / "images").glob("*.png"))) == 8
    data = json.loads((out / "benchmark" / "results.json").read_text())
    assert set(data["models"]) == {"pretrained", "scratch"}
    assert {o["status"] for o in data["outcomes"]} <= {"ok", "failed"}
    assert data["config"]["sites"] == ["internal", "external"]
    report = out / "benchmark" / "report.html"
    assert str(report) in res.output.replace("\n", "")
    model = out / "clip" / "model" / "model.safetensors"
    stamp = model.stat().st_mtime_ns
    again = CliRunner().invoke(app, args, env={"COLUMNS": "160"})
    assert again.exit_code == 0, again.output
    assert model.stat().st_mtime_ns == stamp  # the pretrained model was not trained again
    rerun = json.loads((out / "benchmark" / "results.json").read_text())["outcomes"]
    ok = [o for o in data["outcomes"] if o["status"] == "ok"]
    assert ok and [o for o in rerun if o["status"] == "ok"] == ok  # finished pairs reused
