from __future__ import annotations

from pathlib import Path

import pytest

from data_fixtures import write_prepared


@pytest.fixture
def prepared(tmp_path: Path) -> Path:
    return write_prepared(tmp_path / "cohort")
