"""One call from model specs and cohort folders to a written report (what the CLI runs).

    benchmark("pretrained=runs/clip,mammoclip-tiny", "all", "cohort/prepared/256x160",
              external="shifted/prepared/256x160", out="bench")
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import BenchContext, Budget, select_tasks
from .models import load_bench_model, parse_specs
from .report import ReportPaths, write_report
from .runner import BenchmarkResults, run_benchmark


@dataclass
class BenchmarkRun:
    results: BenchmarkResults
    report: ReportPaths


def load_budget(spec: str | os.PathLike[str] | dict[str, Any] | None) -> Budget:
    """A Budget from None (defaults), a dict, a JSON string or a JSON file path."""
    if spec is None or isinstance(spec, dict):
        return Budget.from_dict(spec)
    text = str(spec)
    if Path(text).is_file():
        try:
            return Budget.from_dict(json.loads(Path(text).read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{text}: budget file is not JSON ({exc})") from exc
    try:
        return Budget.from_dict(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ValueError(f"budget {text!r} is neither a JSON file nor JSON text ({exc})") from exc


def benchmark(models: str, tasks: str, cohort: str | os.PathLike[str], *,
              external: str | os.PathLike[str] | None = None,
              out: str | os.PathLike[str] = "benchmark", seed: int = 0, device: str = "cpu",
              budget: Budget | dict[str, Any] | str | None = None, progress: bool = True,
              resume: bool = True) -> BenchmarkRun:
    """Load the cohorts and models, run the selected tasks, write results and reports."""
    from mammofm.common.seed import seed_everything
    from mammofm.data import load_cohort

    names = select_tasks(tasks)
    internal = load_cohort(cohort)
    ext = load_cohort(external) if external is not None else None
    b = budget if isinstance(budget, Budget) else load_budget(budget)
    seed_everything(seed)
    corpus = list(internal.reports.values())
    bench_models = [load_bench_model(target, label, seed=seed, text_corpus=corpus)
                    for label, target in parse_specs(models)]
    ctx = BenchContext(internal, ext, out_dir=Path(out), seed=seed, device=device, budget=b)
    results = run_benchmark(bench_models, names, ctx, progress=progress, resume=resume)
    return BenchmarkRun(results, write_report(results, out))
