"""The benchmark runner end to end on the tiny cohort: ranks, failures, n/a, resume, report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from bench_fakes import NoiseEncoder, OracleEncoder, TinyCLIP

from mammofm.eval import BenchContext, BenchModel
from mammofm.eval.report import write_report
from mammofm.eval.runner import BenchmarkResults, run_benchmark
from mammofm.eval.tables import average_rank, long_table, rank_table

TASKS = ["mass", "composition", "mass_zero_shot", "retrieval_other_view",
         "retrieval_same_finding", "vqa_head"]


class Broken(OracleEncoder):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("this encoder is broken on purpose")


def _models() -> list[BenchModel]:
    oracle = OracleEncoder()
    return [BenchModel("oracle", oracle, TinyCLIP(oracle), "test:oracle"),
            BenchModel("noise", NoiseEncoder(), None, "test:noise"),
            BenchModel("broken", Broken(), None, "test:broken")]


@pytest.fixture(scope="module")
def bench(cohorts, tmp_path_factory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("bench_out")
    ctx = BenchContext(cohorts[0], cohorts[1], out_dir=out, seed=0, budget={"bootstrap": 100})
    results = run_benchmark(_models(), TASKS, ctx, progress=False)
    return ctx, results


def test_informative_encoder_outranks_noise_on_held_out_data(bench) -> None:  # type: ignore[no-untyped-def]
    _, res = bench
    mass_o = res.get("mass", "oracle").result
    mass_n = res.get("mass", "noise").result
    assert mass_o.metrics["auc"] > mass_n.metrics["auc"] + 0.2
    assert mass_o.metrics["breast_auc"] > 0.8  # breast level is measured too
    lo, hi = mass_n.ci["auc"]
    assert lo <= mass_n.metrics["auc"] <= hi
    other_o = res.get("retrieval_other_view", "oracle").result.metrics
    other_n = res.get("retrieval_other_view", "noise").result.metrics
    assert other_o["map"] > other_n["map"] + 0.2
    assert 0 <= other_n["recall@1"] <= other_n["recall@5"] <= other_n["recall@10"] <= 1
    vqa_o = res.get("vqa_head", "oracle").result.metrics
    vqa_n = res.get("vqa_head", "noise").result.metrics
    assert vqa_o["accuracy_mass"] > vqa_n["accuracy_mass"] + 0.15
    ranks = average_rank(res)
    assert ranks["oracle"] < ranks["noise"] < ranks["broken"] + 1e-9


def test_external_site_scores_and_drop(bench) -> None:  # type: ignore[no-untyped-def]
    _, res = bench
    r = res.get("mass", "oracle").result
    assert set(r.external) >= {"auc", "accuracy", "breast_auc"}
    assert r.drop()["auc"] == pytest.approx(r.metrics["auc"] - r.external["auc"])
    assert "external/roc" in r.curves and "data_efficiency" in r.curves


def test_failures_are_recorded_and_the_others_go_on(bench) -> None:  # type: ignore[no-untyped-def]
    ctx, res = bench
    for task in ("mass", "retrieval_other_view", "vqa_head"):
        o = res.get(task, "broken")
        assert o.status == "failed" and "broken on purpose" in o.error
        assert res.get(task, "oracle").status == "ok"
    log = ctx.out_dir / "logs" / "mass__broken.txt"
    assert "RuntimeError" in log.read_text()


def test_zero_shot_does_not_apply_to_an_image_only_model(bench) -> None:  # type: ignore[no-untyped-def]
    _, res = bench
    assert res.get("mass_zero_shot", "noise").status == "n/a"
    zs = res.get("mass_zero_shot", "oracle")
    assert zs.status == "ok" and 0.0 <= zs.result.metrics["auc"] <= 1.0
    ranks = rank_table(res)
    assert ranks.loc["mass_zero_shot", "oracle"] == 1.0
    assert ranks.loc["mass_zero_shot", "noise"] == ranks.loc["mass_zero_shot", "broken"] == 2.5


def test_rerun_reuses_finished_pairs(bench, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    ctx, res = bench
    from mammofm.eval import runner

    def boom(*a, **k):  # type: ignore[no-untyped-def]
        raise AssertionError("a finished pair was run again")

    monkeypatch.setattr(runner, "run_one", lambda task_name, task, model, c: (
        boom() if model.name != "broken" else runner.Outcome(
            task_name, model.name, "x", "y", "failed", error="again")))
    again = run_benchmark(_models(), TASKS, ctx, progress=False)
    for o in again.outcomes:
        if o.model != "broken":
            assert o.status == res.get(o.task, o.model).status
            if o.result is not None:
                assert o.result.metrics == res.get(o.task, o.model).result.metrics


@pytest.fixture(scope="module")
def report(bench, tmp_path_factory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("report")
    return out, write_report(bench[1], out)


def test_report_files(bench, report) -> None:  # type: ignore[no-untyped-def]
    _, res = bench
    tmp_path, paths = report
    back = BenchmarkResults.load(paths.json)
    assert back.models == res.models and len(back.outcomes) == len(res.outcomes)
    table = pd.read_csv(paths.csv)
    assert set(table["model"]) == {"oracle", "noise", "broken"}
    assert set(table.loc[table["site"] == "drop", "task"]) >= {"mass", "vqa_head"}
    assert (long_table(res)["status"] == "failed").sum() == len(TASKS) - 1 + 0  # n/a for zs
    html = paths.html.read_text()
    imgs = [p for p in __import__("re").findall(r'<img src="([^"]+)"', html)]
    assert imgs and all((tmp_path / p).is_file() for p in imgs)
    assert any("roc" in p for p in imgs) and any("data_efficiency" in p for p in imgs)
    md = paths.markdown.read_text()
    assert "## Average rank" in md and "| oracle |" in md
    assert "broken on purpose" in md and "## vqa" in md
    json.loads(paths.json.read_text())  # strict JSON: NaN written as null


def test_report_renders_in_headless_chromium(report, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("report_render",
                                                  root / "benchmarks" / "report_render.py")
    rr = importlib.util.module_from_spec(spec)
    import sys

    sys.modules[spec.name] = rr  # dataclasses look their module up
    spec.loader.exec_module(rr)  # type: ignore[union-attr]
    if rr.find_chromium() is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    import shutil

    src, paths = report
    page = shutil.copytree(src, tmp_path / "report") / "report.html"
    check = rr.check_report(page, tmp_path / "shot.png")
    assert check.ok, check
    assert check.images_in_file >= 4 and check.tables_in_file >= 4
    assert check.screenshot is not None and check.screenshot.stat().st_size > 10_000
    # a missing figure is caught
    (page.parent / paths.figures[0]).unlink()
    broken = rr.check_report(page)
    assert not broken.ok and broken.images_failed == [paths.figures[0].as_posix()]
