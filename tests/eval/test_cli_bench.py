"""``mammofm benchmark`` / ``mammofm tasks`` and model specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mammofm.cli import app
from mammofm.eval.models import load_bench_model, parse_specs


def test_parse_specs() -> None:
    assert parse_specs("a, lbl=runs/x ,") == [(None, "a"), ("lbl", "runs/x")]
    with pytest.raises(ValueError):
        parse_specs(" , ")


def test_unloadable_models_carry_their_reason(tmp_path: Path) -> None:
    missing = load_bench_model(str(tmp_path / "nope"), "m")
    assert missing.name == "m" and "model folder not found" in missing.load_error


def test_tasks_verb_lists_every_category() -> None:
    res = CliRunner().invoke(app, ["tasks"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for word in ("composition", "retrieval_text_image", "vqa_zero_shot", "classification"):
        assert word in res.output


def test_bad_task_selection_is_one_clear_error(cohort_dirs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    res = CliRunner().invoke(app, ["benchmark", "--models", "mammoclip-tiny", "--cohort",
                                   str(cohort_dirs[0]), "--out", str(tmp_path),
                                   "--tasks", "nosuchtask"])
    assert res.exit_code == 2 and "unknown task or category 'nosuchtask'" in res.output


@pytest.mark.slow
def test_benchmark_verb_on_the_synthetic_cohort(prepared_cohort, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A scratch registry model and a missing folder on the project's own synthetic cohort."""
    out = tmp_path / "bench"
    res = CliRunner().invoke(app, [
        "benchmark", "--models", f"scratch=mammoclip-tiny,missing={tmp_path / 'nope'}",
        "--cohort", str(prepared_cohort), "--tasks", "mass,retrieval_other_view",
        "--out", str(out), "--budget", '{"bootstrap": 20}'], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    data = json.loads((out / "results.json").read_text())
    status = {(o["task"], o["model"]): o["status"] for o in data["outcomes"]}
    assert status == {("mass", "scratch"): "ok", ("mass", "missing"): "failed",
                      ("retrieval_other_view", "scratch"): "ok",
                      ("retrieval_other_view", "missing"): "failed"}
    assert data["config"]["models"]["scratch"] == "scratch:mammoclip-tiny"
    assert (out / "report.html").is_file() and (out / "results.csv").is_file()
    assert "report:" in res.output and "model folder not found" in res.output
    unknown = load_bench_model("no-such-model")
    assert "neither a model folder nor a registered model" in unknown.load_error


def test_budget_from_text_file_or_dict(tmp_path: Path) -> None:
    from mammofm.eval.benchmark import load_budget

    assert load_budget('{"bootstrap": 5, "vqa.head_epochs": 3}').bootstrap == 5
    f = tmp_path / "b.json"
    f.write_text('{"head_epochs": 7}')
    assert load_budget(str(f)).head_epochs == 7
    assert load_budget({"finetune_epochs": 1}).finetune_epochs == 1
    f.write_text("{not json")
    with pytest.raises(ValueError, match="b.json: budget file is not JSON"):
        load_budget(str(f))
