"""Mammography reports: parse free text into BI-RADS Exam records, write reports from them,
and score generated reports against references (clinical efficacy + NLG metrics).

``parse(text) -> Exam``, ``write(exam, style, seed) -> str``, ``STYLES``, ``random_exam(rng)``;
metrics live in ``mammofm.reports.metrics`` (imported on demand: it pulls scikit-learn).
"""

from __future__ import annotations

from .random_exam import random_exam
from .writer import STYLES, Style, write

__all__ = ["STYLES", "Style", "random_exam", "write", "parse"]


def __getattr__(name: str):  # the parser loads its compiled patterns on first use
    if name == "parse":
        from .parser import parse

        return parse
    raise AttributeError(name)
