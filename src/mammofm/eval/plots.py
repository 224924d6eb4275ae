"""Benchmark figures as PNG (matplotlib, Agg): one per (task, curve), every model on it.

ROC curves get the chance diagonal, FROC curves a log-scaled false-positive axis when their
x values span decades, data-efficiency curves a log-scaled training-size axis. Files are
written atomically and named after the task and curve, so a report links them relatively.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mammofm.common.atomic import atomic_path

from .base import Curve
from .runner import BenchmarkResults

TITLES = {"roc": "ROC", "froc": "FROC", "pr": "precision-recall",
          "data_efficiency": "data efficiency"}


@dataclass(frozen=True)
class Figure:
    task: str
    curve: str  # curve name in the TaskResult ("roc", "external/roc", ...)
    kind: str
    path: Path  # relative to the report folder
    title: str


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: object, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")  # type: ignore[attr-defined]


def curve_figures(results: BenchmarkResults, out_dir: Path) -> list[Figure]:
    """Draw every (task, curve name) that any model produced; returns them in task order."""
    plt = _plt()
    groups: dict[tuple[str, str], list[tuple[str, Curve]]] = {}
    for o in results.outcomes:
        if o.result is None:
            continue
        for name, c in o.result.curves.items():
            groups.setdefault((o.task, name), []).append((o.model, c))
    figures = []
    for (task, name), curves in groups.items():
        kind = curves[0][1].kind
        site = name.split("/")[0] if "/" in name else "internal"
        title = f"{task}: {TITLES.get(kind, kind)} ({site})"
        fig, ax = plt.subplots(figsize=(4.6, 3.6))
        for model, c in curves:
            label = f"{model} ({c.label})" if c.label else model
            ax.plot(c.x, c.y, marker="o" if len(c.x) <= 12 else None, ms=3, label=label)
        if kind == "roc":
            ax.plot([0, 1], [0, 1], ls=":", c="grey", lw=1)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.01)
        xs = [v for _, c in curves for v in c.x if v > 0]
        if kind in ("data_efficiency", "froc") and xs and max(xs) / min(xs) >= 20:
            ax.set_xscale("log")
        ax.set_xlabel(curves[0][1].xlabel or "x")
        ax.set_ylabel(curves[0][1].ylabel or "y")
        ax.set_title(title, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        rel = Path("figures") / f"{_safe(task)}__{_safe(name)}.png"
        _save(fig, out_dir / rel)
        plt.close(fig)
        figures.append(Figure(task, name, kind, rel, title))
    return figures


def rank_figure(ranks: pd.DataFrame, out_dir: Path) -> Path | None:
    """Bar chart of average rank per model and site (``ranks``: model x site)."""
    if ranks.empty or ranks.isna().all().all():
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.0))
    ranks.plot.bar(ax=ax, rot=0)
    ax.set_ylabel("average rank (lower is better)")
    ax.set_title("average rank per model", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    rel = Path("figures") / "average_rank.png"
    _save(fig, out_dir / rel)
    plt.close(fig)
    return rel
