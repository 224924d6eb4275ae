"""Run tasks x models, record every outcome, carry on past failures, resume finished pairs.

Each (task, model) outcome is written atomically to ``OUT/tasks/<task>/<model>/result.json``
with a fingerprint of what produced it (model source, seed, budget, sites); a rerun with the
same fingerprint reuses it, so a killed benchmark resumes where it stopped. A task that raises
is recorded as "failed" (its traceback goes to ``OUT/logs/``); one that does not apply to a
model (zero-shot without a text tower) as "n/a". The others go on.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mammofm.common.atomic import atomic_write_text

from .base import BenchContext, BenchModel, TaskNotApplicable, TaskResult, get_task, task_info

STATUSES: tuple[str, ...] = ("ok", "failed", "n/a")


@dataclass
class Outcome:
    """What happened when one model met one task."""

    task: str
    model: str
    category: str
    protocol: str
    status: str
    result: TaskResult | None = None
    error: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "model": self.model, "category": self.category,
                "protocol": self.protocol, "status": self.status,
                "result": None if self.result is None else self.result.as_dict(),
                "error": self.error, "seconds": round(self.seconds, 3)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Outcome:
        r = d.get("result")
        return cls(d["task"], d["model"], d["category"], d["protocol"], d["status"],
                   None if r is None else TaskResult.from_dict(r), d.get("error", ""),
                   float(d.get("seconds", 0.0)))


@dataclass
class BenchmarkResults:
    """All outcomes of one benchmark, in task-major order."""

    models: list[str]
    tasks: list[str]
    outcomes: list[Outcome]
    config: dict[str, Any] = field(default_factory=dict)

    def get(self, task: str, model: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.task == task and o.model == model), None)

    def as_dict(self) -> dict[str, Any]:
        return {"models": self.models, "tasks": self.tasks, "config": self.config,
                "outcomes": [o.as_dict() for o in self.outcomes]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BenchmarkResults:
        return cls(list(d["models"]), list(d["tasks"]),
                   [Outcome.from_dict(o) for o in d["outcomes"]], dict(d.get("config", {})))

    @classmethod
    def load(cls, path: str | Path) -> BenchmarkResults:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def fingerprint(model: BenchModel, task: str, ctx: BenchContext) -> str:
    """What a cached outcome depends on: the model's source, task, seed, budget and sites."""
    key = json.dumps({"model": model.name, "source": model.source, "task": task,
                      "seed": ctx.seed, "budget": ctx.budget.as_dict(),
                      "sites": [s for s, _ in ctx.sites()],
                      "cohort": str(getattr(ctx.cohort, "root", "")),
                      "external": str(getattr(ctx.external_cohort, "root", ""))},
                     sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _cached(path: Path, fp: str) -> Outcome | None:
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if d.get("fingerprint") != fp or d.get("status") not in ("ok", "n/a"):  # failures rerun
        return None
    return Outcome.from_dict(d)


def run_one(task_name: str, task: Any, model: BenchModel, ctx: BenchContext) -> Outcome:
    """Run one task on one model; never raises (failures become the outcome)."""
    info = task_info(task_name)
    t0 = time.perf_counter()
    if model.load_error:
        return Outcome(task_name, model.name, info.category, info.protocol, "failed",
                       error=model.load_error)
    try:
        result = task.run(model, ctx)
        if not isinstance(result, TaskResult):
            raise TypeError(f"task returned {type(result).__name__}, not a TaskResult")
        return Outcome(task_name, model.name, info.category, info.protocol, "ok", result,
                       seconds=time.perf_counter() - t0)
    except TaskNotApplicable as exc:
        return Outcome(task_name, model.name, info.category, info.protocol, "n/a",
                       error=str(exc), seconds=time.perf_counter() - t0)
    except Exception as exc:  # a failing model or task must not stop the others
        _log_failure(ctx, task_name, model.name, exc)
        return Outcome(task_name, model.name, info.category, info.protocol, "failed",
                       error=f"{type(exc).__name__}: {exc}".splitlines()[0][:500],
                       seconds=time.perf_counter() - t0)


def _log_failure(ctx: BenchContext, task: str, model: str, exc: BaseException) -> None:
    path = ctx.out_dir / "logs" / f"{_safe(task)}__{_safe(model)}.txt"
    atomic_write_text(path, "".join(traceback.format_exception(exc)))


def run_benchmark(models: Sequence[BenchModel], tasks: Sequence[str], ctx: BenchContext, *,
                  progress: bool = True, resume: bool = True) -> BenchmarkResults:
    """Judge every model on every task (see the module docstring); writes per-pair JSON."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)

    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be unique: {names}")
    outcomes: list[Outcome] = []
    columns = (TextColumn("[bold]benchmark[/] {task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not progress, transient=False) as bar:
        job = bar.add_task("", total=len(tasks) * len(models))
        for task_name in tasks:
            info = task_info(task_name)
            todo: list[tuple[BenchModel, Path, str]] = []
            for model in models:
                path = ctx.out_dir / "tasks" / _safe(task_name) / _safe(model.name) / "result.json"
                fp = fingerprint(model, task_name, ctx)
                hit = _cached(path, fp) if resume else None
                if hit is not None:
                    outcomes.append(hit)
                    bar.advance(job)
                else:
                    todo.append((model, path, fp))
            if not todo:
                continue
            task = None
            try:
                task = get_task(task_name)
                bar.update(job, description=f"{task_name}: prepare")
                task.prepare(ctx)
                prep_error = None
            except Exception as exc:
                _log_failure(ctx, task_name, "prepare", exc)
                prep_error = f"prepare: {type(exc).__name__}: {exc}".splitlines()[0][:500]
            for model, path, fp in todo:
                bar.update(job, description=f"{task_name} / {model.name}")
                if prep_error is not None:
                    out = Outcome(task_name, model.name, info.category, info.protocol, "failed",
                                  error=prep_error)
                else:
                    out = run_one(task_name, task, model, ctx)
                atomic_write_text(path, json.dumps({**out.as_dict(), "fingerprint": fp},
                                                   indent=1, allow_nan=False))
                outcomes.append(out)
                bar.advance(job)
    order = {(t, m): i for i, (t, m) in enumerate((t, m) for t in tasks for m in names)}
    outcomes.sort(key=lambda o: order[(o.task, o.model)])
    config = {"seed": ctx.seed, "device": ctx.device, "budget": ctx.budget.as_dict(),
              "sites": [s for s, _ in ctx.sites()],
              "models": {m.name: m.source for m in models}}
    return BenchmarkResults(names, list(tasks), outcomes, config)
