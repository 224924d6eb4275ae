"""The multi-task benchmark (VersaMammo-style): task registry, metrics, runner and report.

``list_tasks()`` lists every task with its category; ``run_benchmark`` judges models on them.
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

__all__ = [
    "CATEGORIES", "PROTOCOLS", "BenchContext", "BenchModel", "Budget", "Curve", "Task",
    "TaskError", "TaskNotApplicable", "TaskResult", "get_task", "list_tasks", "register_task",
    "select_tasks", "task_info",
]
