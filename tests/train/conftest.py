"""A toy image-report set for the training tests: each breast has a CC and an MLO PNG; a breast
with a mass shows a bright disc in both views and its report says so (written by the report
writer from an Exam, so the words come from the lexicon)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from mammofm.birads import Breast, Exam, Finding
from mammofm.reports import write  # noqa: F401

from toy_data import make_toy_set


@pytest.fixture(scope="session")
def toy_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[str, str]]:
    return make_toy_set(tmp_path_factory.mktemp("toy"), 6)


TINY = {"image_size": (64, 40), "embed_dim": 32, "max_length": 48}


@pytest.fixture()
def tiny_overrides() -> dict:
    """Model overrides that keep CLIP tests small."""
    return dict(TINY)
