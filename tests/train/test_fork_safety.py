"""A process forked after torch used its thread pool must not hang (fork-based DDP)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import os, sys, torch
    if sys.argv[1] == "safe":
        from mammofm.train.distributed import fork_safe_threads
        fork_safe_threads()
    x = torch.randn(256, 256)
    for _ in range(3):  # the parent's OpenMP pool is now running
        torch.nn.functional.conv2d(torch.randn(4, 8, 64, 64), torch.randn(8, 8, 3, 3))
    pid = os.fork()
    if pid == 0:
        torch.nn.functional.conv2d(torch.randn(4, 8, 64, 64), torch.randn(8, 8, 3, 3))
        (x @ x).sum()
        os._exit(0 if torch.get_num_threads() == 1 else 3)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
""")


def _run(mode: str) -> int | None:
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    try:
        return subprocess.run([sys.executable, "-c", CHILD, mode], env=env, timeout=60).returncode
    except subprocess.TimeoutExpired:
        return None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_forked_child_runs_single_threaded_and_finishes():
    assert _run("safe") == 0
