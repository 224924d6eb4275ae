"""Many images: parallel over processes, rich progress, resumable, failures recorded.

A failed file becomes a manifest row with its reason and the run goes on. A worker process
that dies (a decoder crashing in C) is replaced, and the files it may have held are re-run one
at a time in their own process, so only the file that crashes is marked failed.

The workers (or, with one worker, the calling thread) do all the computing and leave each PNG
in a temporary file; one committer thread of the calling process then fsyncs it, renames it
into place and writes its row record (``pipeline.commit_image``), so waiting on the disk
overlaps the next image's computing instead of adding to it. The thread does no computing.

Every process that computes images keeps freed memory for the next image
(``mammofm.common.memory.retain_freed_memory``): without it, each decoded frame costs its
page faults again, about as much as the decoding. Where that is not possible (not glibc), a
reused ``FrameBuffer`` and a decoder that writes into it stand in.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mammofm.common.atomic import atomic_write_text
from mammofm.common.manifest import MANIFEST_COLUMNS, to_frame, write_manifest
from mammofm.common.memory import retain_freed_memory
from mammofm.dicom import FrameBuffer

from .config import PreprocessConfig
from .pipeline import (EXTRA_COLUMNS, IMAGES_DIR, ROWS_DIR, PendingImage, _failed_row,
                       commit_image, compute_image, file_mode)

#: file suffixes taken from a source folder ('' = no suffix, common for DICOM)
DICOM_SUFFIXES: tuple[str, ...] = (".dcm", ".dicom", ".dic", "")
MANIFEST_STEM = "manifest"


def find_sources(sources: Sequence[str | os.PathLike[str]] | str | os.PathLike[str]
                 ) -> list[Path]:
    """Files to process: folders are searched recursively for DICOM suffixes (hidden files
    skipped); files given by name are taken as they are. Sorted, de-duplicated."""
    items = [sources] if isinstance(sources, str | os.PathLike) else list(sources)
    found: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and f.suffix.lower() in DICOM_SUFFIXES and not any(
                        part.startswith(".") for part in rel.parts):
                    found.append(f.resolve())
        else:
            found.append(p.resolve())
    seen: set[Path] = set()
    return [f for f in found if not (f in seen or seen.add(f))]  # type: ignore[func-returns-value]


@dataclass
class RunSummary:
    total: int = 0
    ok: int = 0
    failed: int = 0
    reused: int = 0
    seconds: float = 0.0
    manifest: str = ""
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def images_per_second(self) -> float:
        done = self.total - self.reused
        return done / self.seconds if self.seconds > 0 else 0.0


def _worker_init() -> None:
    import cv2

    cv2.setNumThreads(1)  # one process = one core; parallelism comes from processes


def worker_pool(n: int) -> ProcessPoolExecutor:
    """Workers forked from a clean fork server, never from the caller: forking a process whose
    OpenCV (or torch) thread pool is running deadlocks the child. As with "spawn", a script
    that starts a run must guard its entry point with ``if __name__ == "__main__":``; the
    server starts once per process (about a second) and is reused by later pools."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["mammofm.preprocess.batch", "rle.rle", "dicomsdl"])
    return ProcessPoolExecutor(n, mp_context=ctx, initializer=_worker_init)


#: test hook: a worker given a file of this name dies as a crashing C decoder would
CRASH_TEST_ENV = "MAMMOFM_PREPROCESS_CRASH_ON"


Result = tuple[dict[str, Any], bool] | PendingImage


_WORKER_BUFFER = FrameBuffer()  # a worker's decoded frames, where memory is not retained


def _frame_buffer(keep: FrameBuffer | None = None) -> FrameBuffer | None:
    """No buffer where freed memory is retained (then the fastest decoder, which allocates,
    costs no page faults), else a reused one."""
    if retain_freed_memory():
        return None
    return keep if keep is not None else FrameBuffer()


def _run_one(args: tuple[str, str, dict[str, Any], int]) -> Result:
    path, out_dir, cfg, mode = args
    if os.environ.get(CRASH_TEST_ENV) and Path(path).name == os.environ[CRASH_TEST_ENV]:
        os.abort()
    return compute_image(path, out_dir, PreprocessConfig.from_dict(cfg), mode,
                         _frame_buffer(_WORKER_BUFFER))


class WorkerStartError(RuntimeError):
    """Worker processes die before running any file: the cause is the caller, not a file."""


def _ping() -> int:
    return os.getpid()


def check_workers_start() -> None:
    """Raise :class:`WorkerStartError` when a fresh worker cannot run even a no-op. The usual
    cause: the script that started the run has no ``if __name__ == "__main__":`` guard, so every
    worker re-imports it and dies starting a run of its own (the failure would otherwise be
    blamed on each file's decoder)."""
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    with worker_pool(1) as pool:
        try:
            pool.submit(_ping).result()
        except BrokenProcessPool:
            where = f" ({main})" if main else ""
            raise WorkerStartError(
                "preprocessing worker processes die on start-up, before any file: if this run "
                f"is started from a script{where}, put its entry point under "
                "'if __name__ == \"__main__\":' (worker processes re-import the main module), "
                "or use workers=1") from None


def _isolated(path: Path, out_dir: Path, cfg: PreprocessConfig, mode: int) -> Result:
    """Run one file in a fresh process; a crash there becomes a failed row for that file."""
    with worker_pool(1) as pool:
        try:
            return pool.submit(_run_one, (str(path), str(out_dir), cfg.to_dict(), mode)).result()
        except BrokenProcessPool:
            return _failed_row(path, None, f"{path}: the decoder crashed the worker process",
                               cfg), False


class _Committer:
    """One thread that commits computed images in the order they arrive, then reports them
    with ``done(i, (row, False))``; already final results are reported at once."""

    def __init__(self, cfg: PreprocessConfig, done: Any) -> None:
        self._cfg, self._done = cfg, done
        self._q: queue.Queue[tuple[int, PendingImage] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="mammofm-commit", daemon=True)
        self._error: BaseException | None = None

    def _loop(self) -> None:
        while (item := self._q.get()) is not None:
            i, pending = item
            try:
                self._done(i, (commit_image(pending, self._cfg), False))
            except BaseException as exc:  # reported by close(); the rest still committed
                self._error = self._error or exc

    def put(self, i: int, res: Result) -> None:
        if isinstance(res, PendingImage):
            self._q.put((i, res))
        else:
            self._done(i, res)

    def __enter__(self) -> _Committer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._q.put(None)
        self._thread.join()
        if self._error is not None and exc[0] is None:
            raise self._error


def _progress(enabled: bool, total: int):  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    return Progress(TextColumn("preprocess"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), disable=not enabled, transient=False)


def _remove_stale_parts(out: Path) -> None:
    """Temporary files a killed run left behind (``.<name>.<random>.part*``)."""
    for sub in (IMAGES_DIR, ROWS_DIR):
        for f in (out / sub).glob(".*.part*"):
            f.unlink(missing_ok=True)


def _mark_duplicates(rows: list[dict[str, Any]]) -> None:
    first: dict[str, str] = {}
    for r in rows:
        if r.get("status") != "ok":
            continue
        iid = str(r.get("image_id"))
        if iid in first:
            r.update(status="failed", image_path="",
                     error=f"{r['source_path']}: duplicate image_id (SOPInstanceUID) {iid}, "
                           f"already taken from {first[iid]}")
        else:
            first[iid] = str(r["source_path"])


def run_preprocess(sources: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
                   out_dir: str | os.PathLike[str], config: PreprocessConfig | None = None,
                   workers: int | None = None, progress: bool = True,
                   pool: ProcessPoolExecutor | None = None) -> pd.DataFrame:
    """Preprocess every DICOM in ``sources`` into ``out_dir`` (images/*.png + manifest).

    Returns the manifest (one row per source, in source order); ``df.attrs['summary']`` is a
    :class:`RunSummary`. Files finished by an earlier run with the same configuration are
    reused, so a killed run started again completes the rest with identical bytes. With
    ``workers > 1`` see :func:`worker_pool` (entry-point guard); with one worker this process
    computes, and keeps freed memory from then on (``retain_freed_memory``). ``pool``: a
    :func:`worker_pool` to use instead of starting one (a service running batch after batch
    saves the start and the workers' warm-up); it is left running, and after a worker crash
    it is broken: make a new one (the files the crash held are still finished, each alone)."""
    cfg = config or PreprocessConfig()
    n_workers = max(1, int(workers if workers is not None else cfg.workers))
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    files = find_sources(sources)
    _remove_stale_parts(out)
    atomic_write_text(out / "preprocess_config.json",
                      json.dumps(cfg.to_dict() | {"workers": None}, indent=2, sort_keys=True))
    mode = file_mode()  # here, before the committer thread starts (see file_mode)
    t0 = time.perf_counter()
    results: dict[int, tuple[dict[str, Any], bool]] = {}
    todo = list(range(len(files)))
    lock = threading.Lock()
    with _progress(progress, len(files)) as bar:
        task = bar.add_task("preprocess", total=len(files), rate="")

        def done(i: int, res: tuple[dict[str, Any], bool]) -> None:
            with lock:
                results[i] = res
                el = time.perf_counter() - t0
                bar.update(task, advance=1, rate=f"{len(results) / el:.1f} img/s" if el else "")

        with _Committer(cfg, done) as committer:
            if n_workers == 1 and pool is None:
                buffer = _frame_buffer()  # this process keeps freed memory from now on
                for i in todo:
                    committer.put(i, compute_image(files[i], out, cfg, mode, buffer))
            else:
                todo = _run_pool(files, todo, out, cfg, n_workers, committer.put, mode, pool)
                if todo:
                    check_workers_start()  # a crash is a file's only if a no-op survives
                for i in todo:  # only after a worker crash: one at a time, each in its own
                    committer.put(i, _isolated(files[i], out, cfg, mode))  # process
    rows = [results[i][0] for i in range(len(files))]
    _mark_duplicates(rows)
    df = to_frame(rows)
    order = [c for c in (*MANIFEST_COLUMNS, *EXTRA_COLUMNS) if c in df.columns]
    df = df[order + [c for c in df.columns if c not in order]]
    manifest = out / f"{MANIFEST_STEM}.{cfg.manifest_format}"
    write_manifest(df, manifest, cfg.manifest_format)
    ok = int((df["status"] == "ok").sum()) if len(df) else 0
    summary = RunSummary(total=len(files), ok=ok, failed=len(files) - ok,
                         reused=sum(1 for r in results.values() if r[1]),
                         seconds=time.perf_counter() - t0, manifest=str(manifest),
                         failures=[(r["source_path"], r["error"]) for r in rows
                                   if r.get("status") != "ok"])
    df.attrs["summary"] = summary
    return df


def _run_pool(files: list[Path], todo: Iterable[int], out: Path, cfg: PreprocessConfig,
              n_workers: int, done: Any, mode: int,
              given: ProcessPoolExecutor | None = None) -> list[int]:
    """Run ``todo`` in a pool (``given``, left running, or a new one); return the indices
    left unfinished by a worker crash."""
    pending = list(todo)
    cfg_d = cfg.to_dict()
    with (contextlib.nullcontext(given) if given is not None else worker_pool(n_workers)) as pool:
        futures: dict[Future, int] = {
            pool.submit(_run_one, (str(files[i]), str(out), cfg_d, mode)): i for i in pending}
        left: list[int] = []
        from concurrent.futures import as_completed

        for fut in as_completed(futures):
            i = futures[fut]
            try:
                done(i, fut.result())
            except BrokenProcessPool:
                left.append(i)
    return sorted(left)
