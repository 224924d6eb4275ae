"""Downstream verbs: ``mammofm embed``, ``mammofm zeroshot``, ``mammofm probe``.

Each takes a saved model folder and a prepared cohort folder (or a manifest file). Heavy
imports (torch, the model zoo) happen inside the verbs so ``mammofm --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer


def _load_model(model_dir: Path) -> Any:
    from mammofm.models import load_model

    return load_model(model_dir)


def _load_data(data: Path) -> tuple[Any, dict[str, str], Any]:
    """(manifest, reports {study_id: text}, annotations) from a prepared cohort or a manifest."""
    from mammofm.common.manifest import read_manifest

    if data.is_dir():
        from mammofm.data import load_cohort

        cohort = load_cohort(data)
        return cohort.manifest, cohort.reports, cohort.annotations
    return read_manifest(data, required=("image_id", "image_path")), {}, None


def _split(manifest: Any, split: str) -> Any:
    if split == "all" or "split" not in manifest.columns:
        return manifest
    out = manifest[manifest["split"].astype(str) == split].reset_index(drop=True)
    if not len(out):
        raise typer.BadParameter(f"no images in split {split!r}")
    return out


def _fail(exc: Exception) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    @app.command("embed")
    def embed(
        model_dir: Path = typer.Argument(..., help="saved model folder (config.json + weights)"),
        data: Path = typer.Argument(..., help="prepared cohort folder or manifest file"),
        out: Path = typer.Option(..., "--out", "-o", help="output folder"),
        fmt: str = typer.Option("parquet", "--format", help="parquet or npy"),
        kind: str = typer.Option("embedding", help="embedding (joint space) or pooled"),
        split: str = typer.Option("all", help="train / val / test / all"),
        texts: bool = typer.Option(True, help="also embed the cohort's reports"),
        batch_size: int = typer.Option(16, min=1),
        device: str = typer.Option("cpu"),
    ) -> None:
        """Write image (and report) embeddings of a manifest, atomically, with progress."""
        from mammofm.adapt.embed import FORMATS, embed_manifest

        if fmt not in FORMATS:
            raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
        try:
            model = _load_model(model_dir)
            manifest, reports, _ = _load_data(data)
            manifest = _split(manifest, split)
            studies = set(manifest["study_id"].astype(str))
            wanted = {k: v for k, v in reports.items() if k in studies} if texts else None
            if wanted and not hasattr(model, "encode_text"):
                wanted = None
            files = embed_manifest(model, manifest, out, texts=wanted, fmt=fmt,  # type: ignore[arg-type]
                                   kind=kind, batch_size=batch_size, device=device)  # type: ignore[arg-type]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _fail(exc)
        for group, paths in files.items():
            for p in paths:
                typer.echo(f"{group}: {p}")

    @app.command("zeroshot")
    def zeroshot(
        model_dir: Path = typer.Argument(..., help="saved MammoCLIP folder"),
        data: Path = typer.Argument(..., help="prepared cohort folder or manifest file"),
        task: list[str] = typer.Option(["mass", "calcification", "composition"], "--task",
                                       help="zero-shot task(s)"),
        split: str = typer.Option("test"),
        n_resamples: int = typer.Option(1000, help="bootstrap resamples for the 95% CI"),
        seed: int = typer.Option(0),
        batch_size: int = typer.Option(16, min=1),
        device: str = typer.Option("cpu"),
        json_out: Path | None = typer.Option(None, "--json", help="also write results here"),
    ) -> None:
        """Zero-shot classification with lexicon prompt ensembles, per breast, with CIs."""
        from mammofm.adapt import bootstrap_ci, extract_features, zero_shot
        from mammofm.adapt.prompts import get_task
        from mammofm.common.atomic import atomic_write_text

        try:
            tasks = [get_task(t) for t in task]
            model = _load_model(model_dir)
            manifest, _, _ = _load_data(data)
            manifest = _split(manifest, split)
            feats = extract_features(model, manifest, kind="embedding", batch_size=batch_size,
                                     device=device, label_columns=[t.label for t in tasks])
            results = {}
            for t in tasks:
                r = zero_shot(model, feats, t)
                ci = bootstrap_ci(r.labels, r.breast_scores, n_resamples=n_resamples, seed=seed)
                results[t.name] = {"metric": r.metric_name, **ci.as_dict(),
                                   "n_breasts": int(len(r.breasts))}
                typer.echo(f"{t.name:<14} {r.metric_name:<8} {ci}  ({len(r.breasts)} breasts)")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _fail(exc)
        if json_out is not None:
            atomic_write_text(json_out, json.dumps(results, indent=2) + "\n")

    @app.command("probe")
    def probe(
        model_dir: Path = typer.Argument(..., help="saved model folder"),
        data: Path = typer.Argument(..., help="prepared cohort folder (with train/test split)"),
        label: list[str] = typer.Option(["mass", "calcification"], "--label"),
        fraction: float = typer.Option(1.0, min=0.0, max=1.0,
                                       help="share of training patients whose labels are used"),
        n_resamples: int = typer.Option(1000),
        seed: int = typer.Option(0),
        batch_size: int = typer.Option(16, min=1),
        device: str = typer.Option("cpu"),
        json_out: Path | None = typer.Option(None, "--json"),
    ) -> None:
        """Linear probe on frozen pooled features: train split -> test split, per breast."""
        from mammofm.adapt import bootstrap_ci, extract_features, linear_probe, per_breast
        from mammofm.adapt.efficiency import patient_subset
        from mammofm.common.atomic import atomic_write_text

        results = {}
        try:
            model = _load_model(model_dir)
            manifest, _, _ = _load_data(data)
            feats = extract_features(model, manifest, batch_size=batch_size, device=device,
                                     label_columns=label)
            train, test = feats.split("train"), feats.split("test")
            if not len(train) or not len(test):
                raise ValueError(f"{data}: needs train and test splits (have "
                                 f"{sorted(set(feats.frame['split'].astype(str)))})")
            for lab in label:
                mask = patient_subset(train.frame, fraction, seed, lab)
                r = linear_probe(train.X[mask], train.labels(lab)[mask], test.X, seed=seed,
                                 groups=train.frame["patient_id"].astype(str).to_numpy()[mask])
                breasts, s = per_breast(test.frame, r.scores, [lab])
                ci = bootstrap_ci(breasts[lab].to_numpy(float), s, n_resamples=n_resamples,
                                  seed=seed)
                results[lab] = {**ci.as_dict(), "fraction": fraction,
                                "n_train_patients":
                                    int(train.frame["patient_id"][mask].nunique()),
                                "C": r.C}
                typer.echo(f"{lab:<24} {ci}  ({results[lab]['n_train_patients']} train patients)")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _fail(exc)
        if json_out is not None:
            atomic_write_text(json_out, json.dumps(results, indent=2) + "\n")
