"""The task interface and registry."""

from __future__ import annotations

import math

import pytest

from mammofm.eval import base
from mammofm.eval.base import Budget, Task, TaskResult, register_task


def test_task_result_needs_its_primary_metric() -> None:
    with pytest.raises(ValueError, match="primary metric 'auc'"):
        TaskResult(metrics={"accuracy": 0.5}, primary="auc")


def test_drop_and_round_trip() -> None:
    r = TaskResult({"auc": 0.8, "accuracy": float("nan")}, "auc", ci={"auc": (0.7, 0.9)},
                   external={"auc": 0.6, "accuracy": 0.5})
    assert r.drop() == pytest.approx({"auc": 0.2})  # NaN internal accuracy gives no drop
    back = TaskResult.from_dict(r.as_dict())
    assert back.metrics["auc"] == 0.8 and math.isnan(back.metrics["accuracy"])
    assert back.ci["auc"] == (0.7, 0.9)


def test_budget_lookup_order() -> None:
    b = Budget.from_dict({"head_steps": 7, "lr_scale": 2, "vqa.head_steps": 3})
    assert b.head_steps == 7 and b["head_steps"] == 7
    assert b.get("head_steps", task="vqa") == 3
    assert b.get("lr_scale") == 2 and b.get("nothing", 5) == 5
    with pytest.raises(KeyError):
        b["nothing"]


def test_register_and_select(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_REGISTRY", {})
    monkeypatch.setattr(base, "_load_tasks", lambda: None)

    @register_task
    class A(Task):
        name = "a_task"
        category = "retrieval"

    @register_task
    class B(Task):
        name = "b_task"
        category = "vqa"

    assert base.list_tasks() == [("a_task", "retrieval"), ("b_task", "vqa")]
    assert base.select_tasks("vqa") == ["b_task"]
    assert base.select_tasks("b_task,all") == ["b_task", "a_task"]
    assert isinstance(base.get_task("a_task"), A)
    with pytest.raises(KeyError, match="unknown task or category 'nope'"):
        base.select_tasks("nope")
    with pytest.raises(ValueError, match="category 'bad'"):
        register_task(type("C", (Task,), {"name": "c", "category": "bad"}))
    with pytest.raises(ValueError, match="registered twice"):
        register_task(type("D", (Task,), {"name": "a_task", "category": "vqa"}))
