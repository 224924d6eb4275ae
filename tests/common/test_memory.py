"""retain_freed_memory: freed large blocks are reused, not faulted in again (glibc only)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

_PROBE = textwrap.dedent("""
    import resource, sys
    from mammofm.common.memory import retain_freed_memory
    took = retain_freed_memory() if sys.argv[1] == "retain" else None
    def image(i):
        n = (24 + i % 3) << 20  # decoded frames of different sizes, as files have
        packed = bytearray(n // 2)  # the compressed pixel data read from the file
        frame = bytearray(n)  # what a decoder returns, written in full
        del packed, frame
    image(0)  # the first image faults either way
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(1, 7):
        image(i)
    print(took, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 6)
""")



def _faults(mode: str) -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_frames_are_reused_instead_of_faulted_in_again():
    took, retained = _faults("retain")
    _, default = _faults("default")
    assert took == "True"
    assert default > 2000  # ~37 MB per image = 9,500 pages of 4 KB; glibc faults many again
    assert retained < default / 10


def test_idempotent():
    from mammofm.common.memory import retain_freed_memory

    first = retain_freed_memory()
    assert retain_freed_memory() is first
