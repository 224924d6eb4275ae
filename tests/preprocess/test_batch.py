"""Batch runs: bad files recorded while the run goes on, kill + resume gives identical bytes,
workers do not change bytes, CLI options and exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pandas as pd
import pytest
from typer.testing import CliRunner

from mammofm.cli import app
from mammofm.common.manifest import read_manifest
from mammofm.dicom.samples import pydicom_test_file
from mammofm.preprocess import PreprocessConfig, run_preprocess
from mg_factory import SMALL, breast_image, write_mg  # pytest puts this folder on sys.path

CFG = PreprocessConfig(size=(128, 80))


def _valid(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        chest = "left" if i % 2 == 0 else "right"
        stored, _ = breast_image(h=240, w=150, chest=chest, seed=i)
        out.append(write_mg(folder / f"img{i}.dcm", stored, laterality="L" if i % 2 == 0 else "R",
                            syntax=("rle", "jpegls", "j2k")[i % 3]))
    return out


def _bad(folder: Path) -> dict[str, str]:
    """corrupt / truncated / non-image / not-DICOM files -> the cause their row must give."""
    stored, _ = breast_image(h=240, w=150, seed=9)
    j2k = write_mg(folder / "corrupt.dcm", stored, syntax="j2k").read_bytes()
    (folder / "corrupt.dcm").write_bytes(j2k.replace(b"\xff\x4f\xff\x51", b"\x00\x00\x00\x00", 1))
    rle = write_mg(folder / "truncated.dcm", stored, syntax="rle").read_bytes()
    (folder / "truncated.dcm").write_bytes(rle[: len(rle) // 2])
    (folder / "garbage.dcm").write_bytes(bytes(range(256)) * 20)
    (folder / "README.txt").write_text("not an input: wrong suffix")
    causes = {"corrupt.dcm": "cannot decode JPEG 2000", "truncated.dcm": "truncated",
              "garbage.dcm": "not a DICOM file"}
    plan = pydicom_test_file("rtplan.dcm")
    if plan is not None:
        shutil.copy(plan, folder / "plan.dcm")
        causes["plan.dcm"] = "no pixel data"
    return causes


def test_bad_files_are_recorded_and_the_run_goes_on(tmp_path):
    src = tmp_path / "src"
    _valid(src, 2)
    causes = _bad(src)
    df = run_preprocess(src, tmp_path / "out", CFG, workers=1, progress=False)
    assert len(df) == 2 + len(causes)  # README.txt is not an input
    by_name = {Path(r.source_path).name: r for r in df.itertuples()}
    for name, cause in causes.items():
        r = by_name[name]
        assert r.status == "failed" and cause in r.error and name in r.error, (name, r.error)
    assert all(by_name[f"img{i}.dcm"].status == "ok" for i in range(2))
    s = df.attrs["summary"]
    assert (s.total, s.ok, s.failed) == (len(df), 2, len(causes))
    result = CliRunner().invoke(app, ["preprocess", str(src), str(tmp_path / "cli"),
                                      "--size", "128x80", "--no-progress"])
    assert result.exit_code == 1
    assert read_manifest(tmp_path / "cli" / "manifest.parquet")["status"].tolist().count("failed") \
        == len(causes)


def test_cli_options_and_success_exit_code(tmp_path):
    src = tmp_path / "src"
    _valid(src, 2)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["preprocess", str(src), str(out), "--size", "96x64",
                                      "--bits", "8", "--format", "csv", "--no-progress",
                                      "--sheet", str(out / "sheet.png")])
    assert result.exit_code == 0, result.output
    sheet = cv2.imread(str(out / "sheet.png"))
    assert sheet.shape[0] == 200 and sheet.shape[1] == 2 * round(200 * 64 / 96)
    df = read_manifest(out / "manifest.csv")
    assert len(df) == 2 and (df["status"] == "ok").all()
    img = cv2.imread(df["image_path"].iloc[0], cv2.IMREAD_UNCHANGED)
    assert img.dtype.name == "uint8" and img.shape == (96, 64)
    assert tuple(df["crop_box"].iloc[0]) == tuple(int(v) for v in df["crop_box"].iloc[0])
    bad = CliRunner().invoke(app, ["preprocess", str(src), str(out), "--size", "big"])
    assert bad.exit_code != 0


def _normalised(df: pd.DataFrame, out: Path) -> pd.DataFrame:
    df = df.copy()
    df["image_path"] = [str(p).replace(str(out.resolve()), "OUT") for p in df["image_path"]]
    return df


def test_workers_do_not_change_bytes(tmp_path):
    files = _valid(tmp_path / "src", 4)
    a = run_preprocess(files, tmp_path / "a", CFG, workers=1, progress=False)
    b = run_preprocess(files, tmp_path / "b", CFG, workers=2, progress=False)
    pd.testing.assert_frame_equal(_normalised(a, tmp_path / "a"), _normalised(b, tmp_path / "b"))
    for p in sorted((tmp_path / "a" / "images").glob("*.png")):
        assert p.read_bytes() == (tmp_path / "b" / "images" / p.name).read_bytes()


def test_a_given_pool_serves_run_after_run_and_stays_open(tmp_path):
    from mammofm.preprocess.batch import worker_pool

    files = _valid(tmp_path / "src", 3)
    ref = run_preprocess(files, tmp_path / "ref", CFG, workers=1, progress=False)
    with worker_pool(2) as pool:
        for run in ("a", "b"):
            df = run_preprocess(files, tmp_path / run, CFG, workers=2, progress=False,
                                pool=pool)
            assert (df["status"] == "ok").all()
            for p in sorted((tmp_path / "ref" / "images").glob("*.png")):
                assert p.read_bytes() == (tmp_path / run / "images" / p.name).read_bytes()
        assert pool.submit(int, "7").result() == 7  # still running: the caller owns it
    assert len(ref) == 3


def test_duplicate_image_is_reported(tmp_path):
    (f,) = _valid(tmp_path / "src", 1)
    shutil.copy(f, tmp_path / "src" / "copy.dcm")
    df = run_preprocess(tmp_path / "src", tmp_path / "out", CFG, workers=1, progress=False)
    assert df["status"].tolist() == ["ok", "failed"]  # sorted: copy.dcm first, so it wins
    assert "duplicate image_id" in df["error"].iloc[1] and "copy.dcm" in df["error"].iloc[1]


_CHILD = """
import sys
from mammofm.preprocess import PreprocessConfig, run_preprocess
files = sys.argv[2:]
run_preprocess(files, sys.argv[1], PreprocessConfig(size=SIZE), workers=1, progress=False)
""".replace("SIZE", repr(SMALL))


@pytest.mark.slow
def test_killed_run_resumes_to_identical_bytes(cbis, cbis_run, tmp_path):
    ref_df, ref_out = cbis_run  # the uninterrupted run, same files and configuration
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(out), *map(str, cbis)])
    rows = out / "rows"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(rows.glob("*.json"))) < 2:
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    done = len(list(rows.glob("*.json")))
    assert 2 <= done < len(cbis), f"kill came too late or never: {done} finished"
    assert not (out / "manifest.parquet").exists()
    df = run_preprocess(cbis, out, PreprocessConfig(size=SMALL), workers=1, progress=False)
    assert df.attrs["summary"].reused >= done
    assert (df["status"] == "ok").all()
    pd.testing.assert_frame_equal(_normalised(df, out), _normalised(ref_df, ref_out))
    pd.testing.assert_frame_equal(_normalised(read_manifest(out / "manifest.parquet"), out),
                                  _normalised(read_manifest(ref_out / "manifest.parquet"), ref_out))
    names = sorted(p.name for p in (out / "images").iterdir())
    assert names == sorted(p.name for p in (ref_out / "images").iterdir())  # no leftovers
    for name in names:
        assert (out / "images" / name).read_bytes() == (ref_out / "images" / name).read_bytes()


_CRASH_CHILD = """
import sys
from mammofm.preprocess import PreprocessConfig, run_preprocess
if __name__ == "__main__":
    df = run_preprocess(sys.argv[2:], sys.argv[1], PreprocessConfig(size=(128, 80)), workers=2,
                        progress=False)
    df[["source_path", "status", "error"]].to_csv(sys.argv[1] + "/result.csv", index=False)
"""


@pytest.mark.slow
def test_a_crashing_worker_fails_only_its_file(tmp_path):
    from mammofm.preprocess.batch import CRASH_TEST_ENV

    files = _valid(tmp_path / "src", 4)
    script = tmp_path / "child.py"
    script.write_text(_CRASH_CHILD)
    out = tmp_path / "out"
    env = dict(__import__("os").environ, **{CRASH_TEST_ENV: files[1].name})
    subprocess.run([sys.executable, str(script), str(out), *map(str, files)], env=env,
                   check=True, timeout=300)
    res = pd.read_csv(out / "result.csv", keep_default_na=False)
    status = dict(zip([Path(p).name for p in res["source_path"]], res["status"]))
    assert status == {"img0.dcm": "ok", "img1.dcm": "failed", "img2.dcm": "ok", "img3.dcm": "ok"}
    err = res.loc[res["status"] == "failed", "error"].iloc[0]
    assert "crashed the worker process" in err and "img1.dcm" in err
