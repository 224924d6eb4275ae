"""Synthetic cohort speed: exams/s at 512x320, one process (the baseline) vs N processes,
with per-stage timings of the single-process run.

    .venv/bin/python benchmarks/synth.py --patients 100 --workers 2

Prints the figure and its baseline in the same run; files go to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _stage_timings(n: int, size: tuple[int, int], out: Path) -> dict[str, float]:
    """Seconds per exam in each stage (ground truth, rendering, DICOM encode + write)."""
    from mammofm.dicom import write as dwrite
    from mammofm.synth import cohort as cmod
    from mammofm.synth import render as rmod
    from mammofm.synth.config import CohortConfig

    spent: dict[str, float] = defaultdict(float)

    def timed(name, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.perf_counter() - t
        return wrapper

    real = (cmod.sample_patient, rmod.render_view, dwrite.write_mg)
    cmod.sample_patient = timed("ground truth (Exam)", real[0])
    rmod.render_view = timed("render (anatomy, lesions, detector)", real[1])
    dwrite.write_mg = timed("DICOM encode + atomic write", real[2])
    try:
        cfg = CohortConfig(patients=n, size=size)
        t = time.perf_counter()
        for i in range(n):
            cmod.generate_patient(cfg, i, out)
        total = time.perf_counter() - t
    finally:
        cmod.sample_patient, rmod.render_view, dwrite.write_mg = real
    spent["other (report, masks, part record)"] = total - sum(spent.values())
    return {k: v / n for k, v in spent.items()}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children: load-independent cost."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--size", default="512x320")
    args = ap.parse_args()
    from mammofm.synth import generate_cohort, parse_size

    size = parse_size(args.size)
    with tempfile.TemporaryDirectory() as tmp:
        results, cpu = {}, {}
        for workers in (1, args.workers):
            out = Path(tmp) / f"w{workers}"
            t, c = time.perf_counter(), _cpu_seconds()
            generate_cohort(out, patients=args.patients, seed=0, size=size, workers=workers,
                            progress=False)
            results[workers] = time.perf_counter() - t
            cpu[workers] = _cpu_seconds() - c
        stages = _stage_timings(min(10, args.patients), size, Path(tmp) / "stages")
    print(f"synthetic cohort, {args.patients} exams (4 views each) at {size[0]}x{size[1]}, "
          f"{os.cpu_count()} CPUs")
    for workers, sec in results.items():
        label = "baseline, 1 process" if workers == 1 else f"{workers} processes"
        print(f"  {label:>22}: {sec:7.1f} s   {args.patients / sec:6.2f} exams/s   "
              f"({cpu[workers] / args.patients:.2f} CPU s per exam)")
    print(f"  speed-up: {results[1] / results[args.workers]:.2f}x "
          f"(1-minute load average {os.getloadavg()[0]:.1f}: other work shares these CPUs)")
    print("  per exam, single process:")
    for name, sec in stages.items():
        print(f"    {name:<38} {1000 * sec:7.1f} ms")


if __name__ == "__main__":
    main()
