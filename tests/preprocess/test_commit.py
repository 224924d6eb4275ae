"""The compute / commit split: a computed image is not finished until committed (PNG fsynced
and renamed, then its row record), a run killed in between redoes it, a failed write is a
failed row, and the committer thread gives the same bytes as one image at a time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mammofm.preprocess import PreprocessConfig, run_preprocess
from mammofm.preprocess import pipeline
from mammofm.preprocess.pipeline import (IMAGES_DIR, ROWS_DIR, PendingImage, commit_image,
                                         compute_image, process_image)
from mg_factory import breast_image, write_mg

CFG = PreprocessConfig(size=(128, 80))


def _files(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_mg(folder / f"c{i}.dcm", breast_image(h=240, w=150, seed=i)[0],
                     syntax="rle") for i in range(n)]


def test_computed_image_is_not_final_until_committed(tmp_path):
    (f,) = _files(tmp_path / "src", 1)
    out = tmp_path / "out"
    p = compute_image(f, out, CFG)
    assert isinstance(p, PendingImage)
    assert p.part.is_file() and p.part.name.startswith(".") and p.part.name.endswith(".part")
    assert not p.png.exists() and not p.row_path.exists()
    row = commit_image(p, CFG)
    assert row["status"] == "ok" and p.png.is_file() and p.row_path.is_file()
    assert not p.part.exists()
    assert oct(p.png.stat().st_mode & 0o777) == oct(pipeline.file_mode())


def test_png_is_renamed_into_place_before_the_row_record(tmp_path, monkeypatch):
    (f,) = _files(tmp_path / "src", 1)
    order = []
    real = os.replace

    def spy(a, b):
        order.append(Path(b).parent.name)
        return real(a, b)

    monkeypatch.setattr(pipeline.os, "replace", spy)
    process_image(f, tmp_path / "out", CFG)
    assert order == [IMAGES_DIR, ROWS_DIR]


def test_a_run_killed_between_compute_and_commit_redoes_that_image(tmp_path):
    files = _files(tmp_path / "src", 2)
    out = tmp_path / "out"
    p = compute_image(files[0], out, CFG)  # computed, then "killed" before the commit
    assert isinstance(p, PendingImage) and p.part.exists()
    df = run_preprocess(files, out, CFG, workers=1, progress=False)
    assert (df["status"] == "ok").all() and df.attrs["summary"].reused == 0
    assert not p.part.exists() and not list((out / IMAGES_DIR).glob(".*"))
    ref = run_preprocess(files, tmp_path / "ref", CFG, workers=1, progress=False)
    for a, b in zip(df["image_path"], ref["image_path"]):
        assert Path(a).read_bytes() == Path(b).read_bytes()


def test_a_failed_write_is_a_failed_row_and_leaves_nothing(tmp_path):
    (f,) = _files(tmp_path / "src", 1)
    out = tmp_path / "out"
    p = compute_image(f, out, CFG)
    assert isinstance(p, PendingImage)
    p.png.mkdir(parents=True)  # a folder where the PNG should go: the rename fails
    row = commit_image(p, CFG)
    assert row["status"] == "failed" and "cannot write the output" in row["error"]
    assert str(f) in row["error"] and row["image_id"] == p.row["image_id"]
    assert not p.part.exists() and not p.row_path.exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_committer_thread_gives_the_bytes_of_one_image_at_a_time(tmp_path, workers):
    files = _files(tmp_path / "src", 3)
    one = [process_image(f, tmp_path / "single", CFG)[0] for f in files]
    df = run_preprocess(files, tmp_path / "batch", CFG, workers=workers, progress=False)
    assert df["status"].tolist() == ["ok"] * 3
    for r, p in zip(one, df["image_path"]):
        assert Path(r["image_path"]).read_bytes() == Path(p).read_bytes()
    assert sorted(x.name for x in (tmp_path / "batch" / ROWS_DIR).iterdir()) == \
        sorted(x.name for x in (tmp_path / "single" / ROWS_DIR).iterdir())
