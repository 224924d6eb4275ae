"""`mammofm synth` on the command line: writes the cohort, the preview, and rejects bad options."""

from __future__ import annotations

import cv2
from typer.testing import CliRunner

from mammofm.cli import app
from mammofm.common.manifest import read_manifest

runner = CliRunner()


def test_synth_verb_writes_cohort_and_preview(tmp_path):
    out = tmp_path / "c"
    res = runner.invoke(app, ["synth", "--patients", "2", "--seed", "4", "--out", str(out),
                              "--size", "256x160", "--site", "site-a", "--preview"])
    assert res.exit_code == 0, res.output
    man = read_manifest(out / "manifest.parquet")
    assert len(man) == 8 and set(man["site"]) == {"site-a"}
    sheet = cv2.imread(str(out / "preview.png"))
    assert sheet is not None and sheet.shape[0] > 200 and sheet.std() > 5


def test_synth_verb_rejects_unknown_site_and_bad_size(tmp_path):
    res = runner.invoke(app, ["synth", "--patients", "1", "--out", str(tmp_path / "x"),
                              "--site", "nowhere"])
    assert res.exit_code != 0 and "unknown site 'nowhere'" in res.output
    res = runner.invoke(app, ["synth", "--patients", "1", "--out", str(tmp_path / "x"),
                              "--size", "big"])
    assert res.exit_code != 0 and "not HxW" in res.output
