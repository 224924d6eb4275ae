"""``mammofm parse-reports`` and ``mammofm score-reports``: free-text reports <-> BI-RADS."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer


def _fail(exc: Exception) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def _fmt(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def register(app: typer.Typer) -> None:
    @app.command("parse-reports")
    def parse_reports(
        src: Path = typer.Argument(..., help="reports: .csv, .jsonl or .txt (--- between reports)"),
        out: Path = typer.Option(..., "--out", "-o", help="output .jsonl, one Exam per report"),
        text_column: str = typer.Option(None, help="text column/field (default: text, report, ...)"),
        id_column: str = typer.Option(None, help="id column/field (default: study_id, id, ...)"),
        evidence: bool = typer.Option(True, help="keep the evidence spans of every field"),
    ) -> None:
        """Parse free-text mammography reports into BI-RADS Exam records (streaming, atomic)."""
        from rich.console import Console
        from rich.markup import escape
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
        from rich.table import Table

        from mammofm.reports.io import parse_file

        if not src.exists():
            _fail(FileNotFoundError(f"{src}: no such file"))
        console = Console(stderr=True)
        try:
            with Progress(TextColumn("parsing {task.description}"), BarColumn(),
                          TextColumn("{task.completed:,} reports"), TimeRemainingColumn(),
                          console=console, transient=False) as progress:
                task = progress.add_task(src.name, total=None)
                summary = parse_file(src, out, text_column=text_column, id_column=id_column,
                                     evidence=evidence,
                                     on_progress=lambda _row: progress.advance(task))
        except (OSError, ValueError) as exc:
            _fail(exc)
        t = Table(title=f"{src} -> {out}")
        for col in ("rows", "parsed", "empty record", "skipped (bad row)"):
            t.add_column(col, justify="right")
        t.add_row(f"{summary.rows:,}", f"{summary.parsed:,}", f"{summary.empty:,}",
                  f"{summary.failed:,}")
        console.print(t)
        for err in (summary.errors or [])[:20]:  # one line each (grep-able logs), no markup
            console.print(f"[yellow]skipped[/] {escape(err)}", soft_wrap=True)
        if summary.failed > 20:
            console.print(f"[yellow]... and {summary.failed - 20:,} more bad rows[/]")

    @app.command("score-reports")
    def score_reports_cmd(
        generated: Path = typer.Argument(..., help="generated reports (.csv, .jsonl or .txt)"),
        reference: Path = typer.Argument(..., help="reference reports, same order or same ids"),
        out: Path = typer.Option(None, "--out", "-o", help="write all scores as JSON here"),
        n_boot: int = typer.Option(1000, min=0, help="bootstrap resamples for the 95% CIs"),
        seed: int = typer.Option(0, help="bootstrap seed"),
        text_column: str = typer.Option(None, help="text column/field of both files"),
        id_column: str = typer.Option(None, help="id column/field to pair reports by"),
    ) -> None:
        """Clinical efficacy (through the parser, MammoRG definitions, 95% CIs) and NLG scores."""
        from rich.console import Console
        from rich.table import Table

        from mammofm.common.atomic import atomic_write_text
        from mammofm.reports.io import read_texts
        from mammofm.reports.metrics import score_reports

        try:
            gids, gen = read_texts(generated, text_column, id_column)
            rids, ref = read_texts(reference, text_column, id_column)
            if all(gids) and all(rids) and set(gids) == set(rids) and gids != rids:
                by_id = dict(zip(gids, gen))
                gen = [by_id[i] for i in rids]  # type: ignore[index]
            elif len(gen) != len(ref):
                raise ValueError(f"{generated} has {len(gen)} reports, {reference} has "
                                 f"{len(ref)}, and their ids do not pair them")
            scores = score_reports(gen, ref, n_boot=n_boot, seed=seed)
        except (OSError, ValueError) as exc:
            _fail(exc)
        console = Console()
        t = Table(title=f"clinical efficacy, {len(gen):,} reports (95% bootstrap CI)")
        t.add_column("metric")
        t.add_column("value", justify="right")
        t.add_column("95% CI", justify="right")
        for name, v in scores["clinical"].items():  # type: ignore[union-attr]
            t.add_row(name, _fmt(v["value"]), f"{_fmt(v['ci_low'])} - {_fmt(v['ci_high'])}")
        console.print(t)
        n = Table(title="text overlap")
        n.add_column("metric")
        n.add_column("value", justify="right")
        for name, v in scores["nlg"].items():  # type: ignore[union-attr]
            n.add_row(name, _fmt(v))
        console.print(n)
        if out is not None:
            atomic_write_text(out, json.dumps(scores, indent=2, allow_nan=True) + "\n")
            console.print(f"scores: {out}")
