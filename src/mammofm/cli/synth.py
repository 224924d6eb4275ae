"""``mammofm synth``: write a synthetic four-view screening cohort."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth(
        out: Path = typer.Option(..., "--out", help="cohort folder to write (resumes if present)"),
        patients: int = typer.Option(40, "--patients", min=1, help="number of patients (one exam each)"),
        seed: int = typer.Option(0, "--seed", help="cohort seed: same seed + options = same bytes"),
        size: str = typer.Option("512x320", "--size", help="DICOM size HxW"),
        site: str = typer.Option("mixed", "--site", help="acquisition preset: mixed, site-a, site-b, site-c"),
        prevalence: str = typer.Option("enriched", "--prevalence", help="finding rates: enriched or screening"),
        workers: int = typer.Option(1, "--workers", min=1, help="processes (bytes do not depend on it)"),
        preview: bool = typer.Option(False, "--preview", help="write preview.png, a contact sheet with boxes"),
        prepare: str = typer.Option("", "--prepare", help="also run preprocessing at HxW (e.g. 256x160)"),
        lesion_gain: float = typer.Option(1.0, "--lesion-gain", min=0.1,
                                          help="finding contrast multiplier (1 = physical; 2-3 = a "
                                               "teaching cohort small CPU models can learn from)"),
    ) -> None:
        """Generate DICOM MG images, BI-RADS exams, reports, lesion boxes/masks and a manifest."""
        from rich.console import Console

        from mammofm.synth import PREVALENCES, SITES, generate_cohort, parse_size, prepare_cohort

        console = Console(stderr=True)
        if site not in SITES:
            raise typer.BadParameter(f"unknown site {site!r}; known: {', '.join(SITES)}", param_hint="--site")
        if prevalence not in PREVALENCES:
            raise typer.BadParameter(f"unknown preset {prevalence!r}; known: {', '.join(PREVALENCES)}",
                                     param_hint="--prevalence")
        try:
            hw = parse_size(size)
            prep = parse_size(prepare) if prepare else None
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        folder = generate_cohort(out, patients=patients, seed=seed, size=hw, site=site,
                                 prevalence=prevalence, workers=workers, preview=preview,
                                 lesion_gain=lesion_gain)
        failures = folder / "failures.jsonl"
        n_failed = len(failures.read_text().splitlines()) if failures.exists() else 0
        console.print(f"[green]wrote[/] {patients - n_failed} exams to {folder}"
                      + (f" ([red]{n_failed} failed[/], see {failures})" if n_failed else ""))
        if preview:
            console.print(f"preview: {folder / 'preview.png'}")
        if prep:
            pdir = prepare_cohort(folder, size=prep, workers=workers)
            console.print(f"prepared: {pdir}")
        if n_failed:
            raise typer.Exit(1)
