"""Synthetic four-view screening cohorts with complete BI-RADS ground truth.

``generate_cohort(out, patients=40, seed=0, size=(512, 320), site="mixed")`` writes DICOM MG
images, exams, reports, lesion boxes and masks, a manifest with a patient split;
``prepare_cohort(cohort, size=(256, 160))`` runs the real preprocessing on it. Presets:
``SITES`` (acquisition / vendor look), ``PREVALENCES`` (finding rates).
"""

from __future__ import annotations

from .cohort import generate_cohort, generate_patient
from .config import PREVALENCES, SITES, CohortConfig, Prevalence, SitePreset, parse_size
from .exams import sample_patient
from .prepare import prepare_cohort

__all__ = ["CohortConfig", "PREVALENCES", "Prevalence", "SITES", "SitePreset",
           "generate_cohort", "generate_patient", "parse_size", "prepare_cohort",
           "sample_patient"]
