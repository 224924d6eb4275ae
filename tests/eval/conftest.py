"""Fixtures for the benchmark tests (builders and stand-in models live in bench_fakes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_fakes import build_cohort


@pytest.fixture(scope="session")
def cohort_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("bench_cohort")
    internal = build_cohort(root / "internal", 40, seed=0)
    external = build_cohort(root / "external", 16, seed=1, site_gain=1.2, site="external")
    return internal, external


@pytest.fixture(scope="session")
def cohorts(cohort_dirs: tuple[Path, Path]):  # type: ignore[no-untyped-def]
    from mammofm.data import load_cohort

    return load_cohort(cohort_dirs[0]), load_cohort(cohort_dirs[1])
