"""Benchmark results as tables: the long metric table (CSV) and the average rank of each model.

Ranking follows VersaMammo: on each task the models are ranked by the task's primary metric
(1 = best, ties share the mean rank); a model that failed a task, or to which it does not
apply, shares the last place; the average over tasks ranks the models overall. Internal and
external sites are ranked separately.
"""

from __future__ import annotations

import math

import pandas as pd

from .runner import BenchmarkResults

LONG_COLUMNS: tuple[str, ...] = ("model", "task", "category", "protocol", "status", "site",
                                 "metric", "value", "ci_low", "ci_high", "primary")


def long_table(results: BenchmarkResults) -> pd.DataFrame:
    """One row per (model, task, site, metric); failed / n/a pairs get one row with no metric."""
    rows = []
    for o in results.outcomes:
        base = {"model": o.model, "task": o.task, "category": o.category,
                "protocol": o.protocol, "status": o.status}
        if o.result is None:
            rows.append({**base, "site": "", "metric": "", "value": math.nan,
                         "ci_low": math.nan, "ci_high": math.nan, "primary": False})
            continue
        r = o.result
        for site, metrics, cis in (("internal", r.metrics, r.ci),
                                   ("external", r.external, r.external_ci)):
            for k, v in metrics.items():
                lo, hi = cis.get(k, (math.nan, math.nan))
                rows.append({**base, "site": site, "metric": k, "value": v, "ci_low": lo,
                             "ci_high": hi, "primary": k == r.primary})
        for k, v in r.drop().items():
            rows.append({**base, "site": "drop", "metric": k, "value": v, "ci_low": math.nan,
                         "ci_high": math.nan, "primary": k == r.primary})
    return pd.DataFrame(rows, columns=list(LONG_COLUMNS))


def primary_scores(results: BenchmarkResults, site: str = "internal") -> pd.DataFrame:
    """Task x model table of primary-metric scores (NaN where failed / n/a / no such site)."""
    data: dict[str, dict[str, float]] = {m: {} for m in results.models}
    for o in results.outcomes:
        v = math.nan
        if o.result is not None:
            src = o.result.metrics if site == "internal" else o.result.external
            v = float(src.get(o.result.primary, math.nan))
        data[o.model][o.task] = v
    return pd.DataFrame(data, index=results.tasks, columns=results.models)


def _higher_is_better(results: BenchmarkResults) -> dict[str, bool]:
    out = {t: True for t in results.tasks}
    for o in results.outcomes:
        if o.result is not None:
            out[o.task] = o.result.higher_is_better
    return out


def rank_table(results: BenchmarkResults, site: str = "internal") -> pd.DataFrame:
    """Task x model ranks (1 = best). Tasks where no model has a score are left out."""
    scores = primary_scores(results, site)
    hib = _higher_is_better(results)
    n = len(results.models)
    ranks = {}
    for task, row in scores.iterrows():
        if row.notna().sum() == 0:
            continue
        filled = row.copy()
        worst = -math.inf if hib[str(task)] else math.inf
        filled = filled.fillna(worst)
        ranks[task] = filled.rank(ascending=not hib[str(task)], method="average")
        ranks[task] = ranks[task].clip(upper=n)
    return pd.DataFrame(ranks, index=results.models).T if ranks else pd.DataFrame(
        columns=results.models)


def average_rank(results: BenchmarkResults, site: str = "internal") -> pd.Series:
    """Mean rank per model over the ranked tasks (lower is better), sorted best first."""
    ranks = rank_table(results, site)
    if ranks.empty:
        return pd.Series({m: math.nan for m in results.models}, name="average_rank")
    return ranks.mean(axis=0).sort_values().rename("average_rank")


def category_rank(results: BenchmarkResults, site: str = "internal") -> pd.DataFrame:
    """Category x model average rank."""
    ranks = rank_table(results, site)
    cat = {o.task: o.category for o in results.outcomes}
    if ranks.empty:
        return ranks
    return ranks.groupby(ranks.index.map(cat)).mean()
