"""``mammofm benchmark`` and ``mammofm tasks``: judge models on the multi-task benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def print_summary(run: object) -> None:
    """Average ranks and primary scores as rich tables, then the report paths."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from mammofm.eval.tables import average_rank, primary_scores

    res = run.results  # type: ignore[attr-defined]
    console = Console()
    ranks = average_rank(res)
    ext = average_rank(res, "external")
    t = Table(title="average rank (lower is better)")
    t.add_column("model")
    t.add_column("internal", justify="right")
    if ext.notna().any():
        t.add_column("external", justify="right")
    for m in ranks.index:
        row = [m, f"{ranks[m]:.2f}"]
        if ext.notna().any():
            row.append(f"{ext.get(m, float('nan')):.2f}")
        t.add_row(*row)
    console.print(t)
    scores = primary_scores(res)
    s = Table(title="primary metric per task (internal test)")
    s.add_column("task")
    for m in res.models:
        s.add_column(m, justify="right")
    for task in scores.index:
        cells = []
        for m in res.models:
            o = res.get(task, m)
            cells.append(f"{scores.loc[task, m]:.3f}" if o is not None and o.status == "ok"
                         else (o.status if o is not None else "-"))
        s.add_row(task, *cells)
    console.print(s)
    failed = [o for o in res.outcomes if o.status == "failed"]
    for o in failed:
        console.print(f"[red]failed[/] {escape(f'{o.task} / {o.model}: {o.error}')}",
                      soft_wrap=True)  # one line per failure; an error's [..] is not markup
    rep = run.report  # type: ignore[attr-defined]
    console.print(f"report: {rep.html}\nmarkdown: {rep.markdown}\nresults: {rep.json}, {rep.csv}")


def register(app: typer.Typer) -> None:
    @app.command("benchmark")
    def benchmark_cmd(
        models: Annotated[str, typer.Option(help="comma-separated [LABEL=]FOLDER (saved model) "
                                            "or [LABEL=]NAME (registry name = scratch)")],
        cohort: Annotated[Path, typer.Option(help="prepared internal cohort folder "
                                             "(COHORT/prepared/HxW)")],
        out: Annotated[Path, typer.Option(help="output folder")] = Path("benchmark"),
        tasks: Annotated[str, typer.Option(help="all | CATEGORY | NAME[,NAME]")] = "all",
        external: Annotated[Optional[Path], typer.Option(
            help="prepared cohort of a shifted site (mammofm synth --site NAME)")] = None,
        seed: Annotated[int, typer.Option(help="benchmark seed")] = 0,
        device: Annotated[str, typer.Option(help="cpu | cuda | cuda:N")] = "cpu",
        budget: Annotated[Optional[str], typer.Option(
            help="JSON text or file: batch_size, head_epochs, finetune_epochs, bootstrap, ...")
        ] = None,
        resume: Annotated[bool, typer.Option(help="reuse finished (task, model) results")] = True,
    ) -> None:
        """Judge models on classification, detection, segmentation, retrieval and VQA tasks;
        write results.json/.csv and report.md/.html with figures."""
        from mammofm.eval.benchmark import benchmark

        try:
            run = benchmark(models, tasks, cohort, external=external, out=out, seed=seed,
                            device=device, budget=budget, resume=resume)
        except (KeyError, ValueError, OSError) as exc:
            typer.echo(f"error: {exc.args[0] if isinstance(exc, KeyError) else exc}", err=True)
            raise typer.Exit(2) from exc
        print_summary(run)

    @app.command("tasks")
    def tasks_cmd(
        category: Annotated[Optional[str], typer.Option(help="only this category")] = None,
    ) -> None:
        """List the benchmark's tasks with their category and protocol."""
        from rich.console import Console
        from rich.table import Table

        from mammofm.eval import list_tasks, task_info

        t = Table(title="benchmark tasks")
        for c in ("task", "category", "protocol"):
            t.add_column(c, no_wrap=True)
        t.add_column("description")
        for name, cat in list_tasks(category):
            info = task_info(name)
            t.add_row(name, cat, info.protocol, info.description)
        Console().print(t)
