"""Average rank on hand-built results with known answers."""

from __future__ import annotations

import math

import pytest

from mammofm.eval.base import TaskResult
from mammofm.eval.runner import BenchmarkResults, Outcome
from mammofm.eval.tables import average_rank, category_rank, long_table, rank_table


def _ok(task: str, model: str, v: float, cat: str = "classification", ext: float | None = None,
        hib: bool = True) -> Outcome:
    r = TaskResult({"m": v}, "m", external={} if ext is None else {"m": ext},
                   higher_is_better=hib)
    return Outcome(task, model, cat, "frozen_linear", "ok", r)


def test_ranks_ties_failures_and_lower_is_better() -> None:
    res = BenchmarkResults(["A", "B", "C"], ["t1", "t2", "t3", "t4"], [
        _ok("t1", "A", 0.9), _ok("t1", "B", 0.7), _ok("t1", "C", 0.8),
        _ok("t2", "A", 0.5), _ok("t2", "B", 0.5), _ok("t2", "C", 0.1),    # A, B tie
        _ok("t3", "A", 2.0, "detection", hib=False), _ok("t3", "B", 1.0, "detection", hib=False),
        Outcome("t3", "C", "detection", "light_head", "failed", error="boom"),
        Outcome("t4", "A", "vqa", "zero_shot", "n/a"),                    # nobody scored t4
        Outcome("t4", "B", "vqa", "zero_shot", "n/a"),
        Outcome("t4", "C", "vqa", "zero_shot", "n/a"),
    ])
    ranks = rank_table(res)
    assert ranks.loc["t1"].tolist() == [1, 3, 2]
    assert ranks.loc["t2"].tolist() == [1.5, 1.5, 3]
    assert ranks.loc["t3"].tolist() == [2, 1, 3]  # lower is better; the failure comes last
    assert "t4" not in ranks.index
    avg = average_rank(res)
    assert avg["A"] == pytest.approx((1 + 1.5 + 2) / 3)
    assert avg["B"] == pytest.approx((3 + 1.5 + 1) / 3)
    assert avg.index[0] == "A"  # best first
    cats = category_rank(res)
    assert cats.loc["detection", "B"] == 1.0


def test_external_ranks_and_long_table() -> None:
    res = BenchmarkResults(["A", "B"], ["t1"], [_ok("t1", "A", 0.9, ext=0.6),
                                                 _ok("t1", "B", 0.8, ext=0.7)])
    assert average_rank(res, "external").to_dict() == {"B": 1.0, "A": 2.0}
    t = long_table(res)
    drop = t[(t["site"] == "drop") & (t["model"] == "A")]["value"].item()
    assert drop == pytest.approx(0.3)
    assert math.isnan(average_rank(BenchmarkResults(["A"], [], []))["A"])
