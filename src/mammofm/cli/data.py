"""`mammofm dataset ...`: public datasets (VinDr-Mammo, CBIS-DDSM, RSNA, EMBED, CMMD, INbreast)
-> a cohort folder (manifest + Exam labels + annotations) -> the prepared, preprocessed cohort."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    dataset = typer.Typer(help="Convert public datasets into mammofm cohorts.",
                          no_args_is_help=True)

    @dataset.command("list")
    def list_() -> None:
        """List the dataset adapters."""
        from mammofm.data.adapters import list_adapters

        for name in list_adapters():
            typer.echo(name)

    @dataset.command("convert")
    def convert(
        name: str = typer.Argument(..., help="adapter name (see `mammofm dataset list`)"),
        root: Path = typer.Argument(..., help="the dataset as downloaded"),
        out: Path = typer.Argument(..., help="cohort folder to write"),
    ) -> None:
        """Read a dataset's metadata and images into a cohort folder (bad rows are recorded)."""
        from mammofm.data.adapters import convert_dataset

        if not root.exists():
            typer.echo(f"error: {root}: dataset folder not found", err=True)
            raise typer.Exit(2)
        try:
            result = convert_dataset(name, root, out)
        except (KeyError, ValueError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"{out}: {len(result.manifest)} images, {len(result.exams)} exams, "
                   f"{len(result.errors)} bad rows/files")
        for note in (*result.notes, *([result.licence_note] if result.licence_note else [])):
            typer.echo(f"note: {note}")
        raise typer.Exit(1 if result.errors else 0)

    @dataset.command("prepare")
    def prepare(
        cohort: Path = typer.Argument(..., help="cohort folder written by `dataset convert`"),
        size: str = typer.Option("1520x912", "--size", help="preprocessed size HxW"),
        workers: int = typer.Option(1, "--workers", min=1, help="worker processes"),
    ) -> None:
        """Preprocess a converted cohort into COHORT/prepared/<H>x<W>/ (resumable)."""
        from mammofm.data import prepare_dataset

        try:
            h, w = (int(v) for v in size.lower().split("x"))
        except ValueError:
            typer.echo(f"error: --size {size!r}: expected HxW, e.g. 1520x912", err=True)
            raise typer.Exit(2) from None
        typer.echo(str(prepare_dataset(cohort, (h, w), workers=workers)))

    app.add_typer(dataset, name="dataset")
