"""Benchmark metrics, each checked against a reference implementation in the tests."""

from __future__ import annotations

from .classification import METRICS, bootstrap_ci, breast_level, classification_metrics

__all__ = ["METRICS", "bootstrap_ci", "breast_level", "classification_metrics"]
