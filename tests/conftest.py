"""Shared session fixtures: one small synthetic cohort, generated once per test session.

``synth_cohort``: 40 patients (160 MG DICOMs at 512x320, site "mixed", seed 0) in the cohort
layout of docs/CONTRACTS.md. ``prepared_cohort``: the same cohort through the real
preprocessing at 256x160 (``mammofm.synth.prepare_cohort``). Both are read-only: copy before
changing anything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SYNTH_PATIENTS = 40
SYNTH_SEED = 0
SYNTH_SIZE = (512, 320)
PREPARED_SIZE = (256, 160)


def _workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def synth_cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-patient synthetic cohort folder (DICOMs, exams, reports, annotations, manifest)."""
    from mammofm.synth import generate_cohort

    out = tmp_path_factory.mktemp("synth") / "cohort"
    return generate_cohort(out, patients=SYNTH_PATIENTS, seed=SYNTH_SEED, size=SYNTH_SIZE,
                           site="mixed", workers=_workers(), progress=False)


@pytest.fixture(scope="session")
def prepared_cohort(synth_cohort: Path) -> Path:
    """``synth_cohort`` preprocessed at 256x160: the folder ``mammofm.data.load_cohort`` reads."""
    from mammofm.synth import prepare_cohort

    return prepare_cohort(synth_cohort, size=PREPARED_SIZE, workers=_workers())
