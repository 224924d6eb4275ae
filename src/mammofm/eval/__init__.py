"""The multi-task benchmark (VersaMammo-style): task registry, metrics, runner and report.

    list_tasks() -> [(name, category)]         every registered task
    select_tasks("all" | CATEGORY | "a,b")     task names
    run_benchmark(models, tasks, ctx)          -> BenchmarkResults (per-pair JSON, resumable)
    write_report(results, out_dir)             results.json/.csv, report.md/.html, PNGs
    benchmark(models_spec, tasks, cohort, external=..., out=...)   all of the above

Importing ``mammofm.eval`` is cheap; the runner, report and tasks load what they need.
"""

from __future__ import annotations

from .base import (
    CATEGORIES,
    PROTOCOLS,
    BenchContext,
    BenchModel,
    Budget,
    Curve,
    Task,
    TaskError,
    TaskNotApplicable,
    TaskResult,
    get_task,
    list_tasks,
    register_task,
    select_tasks,
    task_info,
)

_LAZY = {
    "run_benchmark": ".runner", "BenchmarkResults": ".runner", "Outcome": ".runner",
    "write_report": ".report", "benchmark": ".benchmark", "average_rank": ".tables",
    "rank_table": ".tables", "load_bench_model": ".models",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [*_LAZY, 
    "CATEGORIES", "PROTOCOLS", "BenchContext", "BenchModel", "Budget", "Curve", "Task",
    "TaskError", "TaskNotApplicable", "TaskResult", "get_task", "list_tasks", "register_task",
    "select_tasks", "task_info",
]
