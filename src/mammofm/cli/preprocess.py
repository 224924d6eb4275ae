"""``mammofm preprocess SRC OUT``: DICOM folder -> cropped, canonical-side PNGs + manifest."""

from __future__ import annotations

from pathlib import Path

import typer


def _parse_size(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise typer.BadParameter(f"size must be HxW, e.g. 1520x912, got {text!r}",
                                 param_hint="--size") from None
    if h < 8 or w < 8:
        raise typer.BadParameter(f"size {text!r} is too small", param_hint="--size")
    return h, w


def register(app: typer.Typer) -> None:
    @app.command("preprocess")
    def preprocess(
        src: list[Path] = typer.Argument(..., help="DICOM files or folders (searched recursively "
                                         "for .dcm, .dicom, .dic and suffix-less files)"),
        out: Path = typer.Argument(..., help="output folder: images/*.png, manifest, rows/"),
        size: str = typer.Option("1520x912", "--size", help="output size HxW (aspect kept, "
                                 "padded); 1520x912 is the Mammo-CLIP input"),
        bits: int = typer.Option(16, "--bits", help="PNG bit depth: 16 or 8"),
        fmt: str = typer.Option("parquet", "--format", help="manifest format: parquet or csv"),
        workers: int = typer.Option(1, "--workers", min=1, help="worker processes"),
        window: int = typer.Option(0, "--window", min=0, help="which window / VOI LUT of the "
                                   "file to apply (0 = first)"),
        voi_function: str = typer.Option("", "--voi-function", help="override the file's "
                                         "VOILUTFunction: LINEAR, LINEAR_EXACT or SIGMOID"),
        no_voi: bool = typer.Option(False, "--no-voi", help="ignore windows / VOI LUTs and "
                                    "stretch each image's min..max instead"),
        decoder: str = typer.Option("auto", "--decoder", help="auto (fastest correct, then the "
                                    "others), rle, dicomsdl, pydicom, gdcm or pylibjpeg"),
        dataset: str = typer.Option("", "--dataset", help="value of the manifest's dataset column"),
        compression: int = typer.Option(1, "--png-compression", min=0,
                                        help="PNG deflate level, 0-12 (0 = stored, 1 = fast)"),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
        sheet: Path = typer.Option(None, "--sheet", help="also write a contact sheet PNG of every "
                                   "output (laterality, view, flip on each tile; failures red)"),
    ) -> None:
        """Crop the breast, flip to the canonical side (chest wall left), resize with padding,
        write PNGs and a manifest. Resumes an interrupted run; exit code 0 only if every file
        succeeded, 1 if any failed (each failure is a manifest row with its reason)."""
        from rich.console import Console
        from rich.table import Table

        from mammofm.dicom import DECODERS
        from mammofm.dicom.display import VOI_FUNCTIONS
        from mammofm.preprocess import PreprocessConfig, run_preprocess
        from mammofm.preprocess.png import MAX_LEVEL as PNG_MAX_LEVEL

        console = Console(stderr=True)
        hw = _parse_size(size)
        if bits not in (8, 16):
            raise typer.BadParameter("must be 8 or 16", param_hint="--bits")
        if compression > PNG_MAX_LEVEL:
            raise typer.BadParameter(f"at most {PNG_MAX_LEVEL}", param_hint="--png-compression")
        if fmt not in ("parquet", "csv"):
            raise typer.BadParameter("must be parquet or csv", param_hint="--format")
        if decoder != "auto" and decoder not in DECODERS:
            raise typer.BadParameter(f"unknown decoder; known: auto, {', '.join(DECODERS)}",
                                     param_hint="--decoder")
        vf = voi_function.upper() or None
        if vf is not None and vf not in VOI_FUNCTIONS:
            raise typer.BadParameter(f"one of {', '.join(VOI_FUNCTIONS)}",
                                     param_hint="--voi-function")
        missing = [str(p) for p in src if not p.exists()]
        if missing:
            raise typer.BadParameter(f"not found: {', '.join(missing)}", param_hint="SRC")
        cfg = PreprocessConfig(size=hw, bit_depth=bits, manifest_format=fmt, window=window,
                               voi_function=vf, apply_voi=not no_voi, decoder=decoder,
                               workers=workers, png_compression=compression, dataset=dataset)
        df = run_preprocess(list(src), out, cfg, workers=workers, progress=progress)
        s = df.attrs["summary"]
        table = Table(title="mammofm preprocess")
        for col in ("files", "ok", "failed", "reused", "seconds", "images/s"):
            table.add_column(col, justify="right")
        table.add_row(str(s.total), f"[green]{s.ok}[/]", f"[red]{s.failed}[/]" if s.failed else "0",
                      str(s.reused), f"{s.seconds:.1f}", f"{s.images_per_second:.2f}")
        console.print(table)
        if s.failures:
            ft = Table(title=f"failed files ({len(s.failures)})", show_lines=False)
            ft.add_column("file")
            ft.add_column("reason")
            for path, err in s.failures[:50]:
                ft.add_row(Path(path).name, err.replace(f"{path}: ", "", 1))
            console.print(ft)
            if len(s.failures) > 50:
                console.print(f"... and {len(s.failures) - 50} more in {s.manifest}")
        console.print(f"manifest: {s.manifest}")
        if sheet is not None and s.total:
            from mammofm.preprocess import contact_sheet

            console.print(f"contact sheet: {contact_sheet(df, sheet)}")
        if s.total == 0:
            console.print("[red]no DICOM files found[/]")
            raise typer.Exit(1)
        if s.failed:
            raise typer.Exit(1)
