"""Keep freed memory in the process for the next image, instead of handing it back.

A decoded mammogram is 20-50 MB. glibc's malloc serves blocks that large with a fresh mmap
and unmaps them on free, so every image pays again for the kernel to fault in and zero its
pages: on the virtual machines we measured, that costs about as much as decoding the image
(13,800 page faults per CBIS-DDSM file through pylibjpeg-rle; the pipeline took 105-135 ms
per image with them and 80-90 ms without). Raising malloc's mmap and trim thresholds makes
freed frames stay in the heap, where the next image's allocation finds them.

The setting is process-wide and stays for the life of the process, so only processes that
preprocess many images ask for it: the preprocessing workers, and the calling process of a
one-worker run. Where the C library is not glibc (macOS, musl) nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
#: blocks below this come from the heap (glibc's own ceiling for the threshold is 32 MB on
#: 64-bit unless set explicitly; a frame of 4,736 x 2,624 16-bit pixels is 25 MB)
MMAP_THRESHOLD = 256 << 20
#: free memory at the top of the heap kept rather than returned
TRIM_THRESHOLD = 1 << 30

_done: bool | None = None


def retain_freed_memory() -> bool:
    """Ask glibc to keep freed blocks up to ``MMAP_THRESHOLD`` for reuse; True if it took.
    Idempotent: the first call decides for the process."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
