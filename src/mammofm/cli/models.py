"""CLI verbs of the models part: ``mammofm models list|show|speed`` and ``mammofm pretrain clip``.

Heavy imports (torch, timm, transformers, lightning) happen inside the verbs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise typer.BadParameter(f"size must be HxW like 256x160, got {text!r}") from None
    return h, w


def register(app: typer.Typer) -> None:
    models = typer.Typer(help="Model registry: named configs, saved models, training speed.",
                         no_args_is_help=True)
    pretrain = typer.Typer(help="Pretrain foundation models.", no_args_is_help=True)
    app.add_typer(models, name="models")
    app.add_typer(pretrain, name="pretrain")

    @models.command("list")
    def list_cmd() -> None:
        """List the named model configs."""
        from rich.console import Console
        from rich.table import Table

        from mammofm.models import get_config, list_models

        table = Table("name", "image tower", "input (HxW, C)", "text tower", "embed")
        for name in list_models():
            c = get_config(name)
            h, w = c.vision.image_size
            table.add_row(name, c.vision.timm_name, f"{h}x{w}, {c.vision.in_chans}",
                          c.text.source or c.text.kind, str(c.embed_dim))
        Console().print(table)

    @models.command("show")
    def show_cmd(name: str = typer.Argument(..., help="config name, JSON file or model folder")
                 ) -> None:
        """Print a model config (named, JSON file, or the config.json of a saved model)."""
        from mammofm.models import get_config
        from mammofm.models.config import ModelConfigError

        p = Path(name)
        try:
            text = (p / "config.json").read_text() if p.is_dir() else get_config(name).to_json()
        except (ModelConfigError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        typer.echo(text.rstrip())

    @models.command("speed")
    def speed_cmd(model: str = typer.Option("mammoclip-tiny", help="model name"),
                  size: str = typer.Option("256x160", help="input HxW"),
                  batch_size: int = typer.Option(16), steps: int = typer.Option(5),
                  device: Optional[str] = typer.Option(None, help="cpu / cuda (default: best)"),
                  compile: bool = typer.Option(False, help="also time torch.compile")) -> None:
        """Training images/s: fp32 eager baseline vs bf16 (+ channels_last, + compile)."""
        from mammofm.train.throughput import main

        args = ["--model", model, "--size", size, "--batch-size", str(batch_size),
                "--steps", str(steps)] + (["--device", device] if device else []) + \
            (["--compile"] if compile else [])
        main(args)

    @pretrain.command("clip")
    def clip_cmd(
        data: Path = typer.Argument(..., help="prepared cohort folder (or a manifest file)"),
        out: Path = typer.Option(..., "--out", "-o", help="run folder (resumes if it exists)"),
        config: Optional[Path] = typer.Option(None, help="ClipTrainConfig JSON (flags win)"),
        model: Optional[str] = typer.Option(None, help="model name, e.g. mammoclip-tiny"),
        size: Optional[str] = typer.Option(None, help="input HxW (default: the model's)"),
        epochs: Optional[int] = typer.Option(None), max_steps: Optional[int] = typer.Option(None),
        batch_size: Optional[int] = typer.Option(None, help="breasts per step and process"),
        lr: Optional[float] = typer.Option(None), accumulate: Optional[int] = typer.Option(None),
        precision: Optional[str] = typer.Option(None, help="32-true | bf16-mixed | 16-mixed"),
        accelerator: Optional[str] = typer.Option(None),
        devices: Optional[str] = typer.Option(None),
        num_nodes: Optional[int] = typer.Option(None),
        strategy: Optional[str] = typer.Option(None, help="auto | ddp | ddp_spawn | fsdp"),
        labelled: list[Path] = typer.Option([], help="labelled manifest(s) turned into text"),
        split: Optional[str] = typer.Option(None, help="split(s) whose reports pretrain, "
                                            "comma-separated (default train; e.g. train,val)"),
        workers: Optional[int] = typer.Option(None), seed: Optional[int] = typer.Option(None),
        no_resume: bool = typer.Option(False, "--no-resume",
                                       help="start afresh even if checkpoints exist"),
    ) -> None:
        """Pretrain Mammo-CLIP on a prepared cohort (reports + images)."""
        from mammofm.train.config import ClipTrainConfig, TrainConfigError

        try:
            base = ClipTrainConfig.load(config) if config else ClipTrainConfig()
        except TrainConfigError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        flags = {"output_dir": str(out), "model": model, "image_size": _size(size),
                 "max_epochs": epochs, "max_steps": max_steps, "batch_size": batch_size,
                 "lr": lr, "accumulate_grad_batches": accumulate, "precision": precision,
                 "accelerator": accelerator, "num_nodes": num_nodes, "strategy": strategy,
                 "num_workers": workers, "seed": seed,
                 "devices": (int(devices) if devices and devices.isdigit() else devices),
                 "labelled_manifests": [str(p) for p in labelled] or None, "train_split": split,
                 "resume": False if no_resume else None}
        cfg = ClipTrainConfig.from_dict({**base.to_dict(),
                                         **{k: v for k, v in flags.items() if v is not None}})
        from mammofm.common.manifest import ManifestError
        from mammofm.train import TrainingInterrupted, pretrain_clip

        try:
            pretrain_clip(data, cfg)
        except (ManifestError, TrainConfigError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except TrainingInterrupted as exc:
            typer.echo(f"interrupted: {exc}", err=True)
            raise typer.Exit(143) from None  # 128 + SIGTERM, as a shell reports it
        typer.echo(f"trained model: {out / 'model'}")
