"""``pretrain_clip(cohort_or_manifest, config) -> MammoCLIP``: the CLIP pretraining recipe.

Output folder (``config.output_dir``):
    train_config.json   the ClipTrainConfig of the run
    model_init/         the initial model (architecture + tokenizer); a resumed run rebuilds from it
    checkpoints/        Lightning checkpoints (epoch-*.ckpt, last.ckpt), written atomically
    logs/ , tb/         CSV and TensorBoard logs
    skipped.txt         breasts left out and why
    model/              the trained model (``load_model``-able)

A run stopped by SIGTERM (a scheduler's pre-emption, ``kill``) raises ``TrainingInterrupted``
naming the checkpoint that resumes it; Lightning alone would end such a run with exit code 0
and no word, as if it had finished. ``model/`` is written only by a run that finished.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from mammofm.common.atomic import atomic_write_text

from .config import ClipTrainConfig, TrainConfigError
from .distributed import fork_safe_threads


class TrainingInterrupted(RuntimeError):
    """Training stopped by a signal before its end; running it again resumes it."""


def _resolve_data(data: Any) -> tuple[pd.DataFrame, dict[str, str]]:
    """A Cohort, a prepared-cohort folder, a manifest path, a DataFrame, or (manifest, reports)."""
    if isinstance(data, tuple) and len(data) == 2:
        manifest, reports = data
        manifest = _resolve_data(manifest)[0]
        return manifest, dict(reports or {})
    if isinstance(data, pd.DataFrame):
        return data, {}
    if hasattr(data, "manifest") and hasattr(data, "reports"):
        return data.manifest, dict(data.reports)
    path = Path(os.fspath(data))
    if path.is_dir():
        from mammofm.data import load_cohort

        cohort = load_cohort(path)
        return cohort.manifest, dict(cohort.reports)
    from mammofm.common.manifest import read_manifest

    return read_manifest(path, required=("image_id", "study_id", "laterality", "view",
                                         "image_path")), {}


def build_records(data: Any, config: ClipTrainConfig) -> tuple[list, list[str]]:
    """Breast records of the training split (+ labelled manifests turned into text)."""
    from mammofm.common.manifest import read_manifest

    from .clip_data import breast_records

    manifest, reports = _resolve_data(data)
    records, skipped = breast_records(manifest, reports, config.views, config.train_split,
                                      seed=config.seed)
    for path in config.labelled_manifests:
        df = read_manifest(path, required=("image_id", "study_id", "laterality", "view",
                                           "image_path"))
        extra, why = breast_records(df, {}, config.views, config.train_split, seed=config.seed)
        records += extra
        skipped += [f"{path}: {w}" for w in why]
    if not records:
        raise TrainConfigError(f"no training breasts (split {config.train_split!r}): "
                               + ("; ".join(skipped[:3]) or "empty manifest"))
    return records, skipped


def _initial_model(config: ClipTrainConfig, records: list, out: Path) -> Any:
    """The starting model: reloaded from ``model_init/`` when resuming, else built (bert-small
    tokenizer trained on the training texts) and saved there."""
    from mammofm.models import create_model, load_model

    init_dir = out / "model_init"
    if config.resume and (init_dir / "config.json").is_file():
        return load_model(init_dir).train()
    overrides = dict(config.model_overrides)
    if config.image_size is not None:
        overrides["image_size"] = tuple(config.image_size)
    corpus = [r.text for r in records] if config.train_tokenizer else None
    model = create_model(config.model, text_corpus=corpus, seed=config.seed, **overrides)
    image_from = model.config.vision.checkpoint
    text_from = model.config.text.source if model.config.text.kind == "hf" else None
    init = "random (seeded)"
    if image_from or text_from:
        init = (f"image tower {'from ' + image_from if image_from else 'random (seeded)'}, "
                f"text tower {'from ' + text_from if text_from else 'random (seeded)'}")
    model.config.provenance = {**model.config.provenance, "init": init, "seed": config.seed}
    model.save_pretrained(init_dir)
    # train mode throughout, as a resumed run has it: a transformers text tower comes out of
    # from_pretrained in eval mode (no dropout), which a resumed run would not repeat
    return model.train()


def _last_checkpoint(out: Path) -> str | None:
    last = out / "checkpoints" / "last.ckpt"
    return str(last) if last.is_file() else None


def pretrain_clip(data: Any, config: ClipTrainConfig | Mapping[str, Any] | None = None, *,
                  callbacks: list[Any] | None = None, **overrides: Any) -> Any:
    """Pretrain a MammoCLIP on ``data`` (Cohort, prepared folder, manifest path/DataFrame, or
    (manifest, {study_id: report})). Returns the trained model (also saved to
    ``output_dir/model``). Keyword overrides replace fields of ``config``; ``callbacks`` are
    extra Lightning callbacks."""
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.callbacks import ModelCheckpoint, RichProgressBar
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from mammofm.common.seed import seed_everything

    from .clip_data import ClipBreastDataset
    from .module import AtomicCheckpointIO, ClipPretrainModule

    if config is None:
        config = ClipTrainConfig()
    elif isinstance(config, Mapping):
        config = ClipTrainConfig.from_dict(dict(config))
    if overrides:
        config = ClipTrainConfig.from_dict({**config.to_dict(), **overrides})
    if (config.report_label_weight or config.report_composition_weight) and \
            not config.label_positives:
        raise TrainConfigError("report_label_weight / report_composition_weight need "
                               "label_positives (the head's targets are the parsed label keys)")
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    seed_everything(config.seed)
    records, skipped = build_records(data, config)
    atomic_write_text(out / "skipped.txt", "".join(f"{s}\n" for s in skipped))
    model = _initial_model(config, records, out)
    config.save(out)
    model.config.provenance = {**model.config.provenance, "train_config": config.to_dict(),
                               "train_breasts": len(records)}
    keys = table = None
    if config.label_positives:
        from .positives import label_keys_and_table

        keys, table = label_keys_and_table([r.text for r in records],
                                           [r.laterality for r in records])
        model.config.provenance["label_positives"] = {
            "distinct_keys": int(keys.max() + 1) if len(keys) else 0,
            "breasts_without_key": int((keys < 0).sum())}
    dataset = ClipBreastDataset(records, model.visual.image_size, augment=config.augment,
                                augment_strength=config.augment_strength, seed=config.seed,
                                text_drop_prob=config.text_drop_prob,
                                text_shuffle=config.text_shuffle, label_keys=keys)
    module = ClipPretrainModule(model, config, dataset, key_table=table)
    ckpt = ModelCheckpoint(dirpath=out / "checkpoints", filename="epoch-{epoch:03d}",
                           every_n_epochs=config.checkpoint_every_n_epochs, save_top_k=-1,
                           save_last=True, auto_insert_metric_name=False)
    callbacks = [*(callbacks or []), ckpt]
    if config.progress_bar:
        callbacks.append(RichProgressBar(leave=True))
    loggers: list[Any] = [CSVLogger(str(out), name="logs")]
    if config.tensorboard:
        loggers.append(TensorBoardLogger(str(out), name="tb"))
    trainer = pl.Trainer(
        accelerator=config.accelerator, devices=config.devices, num_nodes=config.num_nodes,
        strategy=config.strategy, precision=config.precision, max_epochs=config.max_epochs,
        max_steps=config.max_steps, accumulate_grad_batches=config.accumulate_grad_batches,
        gradient_clip_val=config.gradient_clip_val, log_every_n_steps=config.log_every_n_steps,
        callbacks=callbacks, logger=loggers, plugins=[AtomicCheckpointIO()],
        enable_progress_bar=config.progress_bar, enable_model_summary=False,
        use_distributed_sampler=False, deterministic=False, default_root_dir=str(out))
    resume_from = _last_checkpoint(out) if config.resume else None
    if "fork" in str(config.strategy) or "notebook" in str(config.strategy):
        fork_safe_threads()
    torch.manual_seed(config.seed)
    try:
        trainer.fit(module, ckpt_path=resume_from)
    except SIGTERMException:
        last = _last_checkpoint(out)
        how = (f"the last checkpoint {last} resumes it" if last
               else "no checkpoint was written yet, so it will start afresh")
        raise TrainingInterrupted(
            f"{out}: training stopped by SIGTERM in epoch {trainer.current_epoch} (step "
            f"{trainer.global_step}); {how}: run it again with resume on (the default; "
            f"without --no-resume)") from None
    model = module.model
    if trainer.is_global_zero:
        if config.recalibrate_bn:
            recalibrate_batchnorm(model, records, config)
        model.eval().save_pretrained(out / "model")
    return model.eval()


def recalibrate_batchnorm(model: Any, records: list[Any], config: ClipTrainConfig) -> None:
    """Recompute the image tower's BatchNorm statistics on the un-augmented training images.

    During training the running statistics are an EMA over ~10 steps of fast-changing weights
    (lr ~1e-3 from scratch), so in eval mode they no longer match the features: pooled features
    of a trained mammoclip-tiny then varied ~100x less across images than in train mode and
    every image embedded alike. A cumulative pass (``torch.optim.swa_utils.update_bn``) fixes
    that. Deterministic: no augmentation, fixed order."""
    import torch
    from torch.optim.swa_utils import update_bn

    from .clip_data import ClipBreastDataset

    if not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
               for m in model.visual.modules()):
        return
    plain = ClipBreastDataset(records, model.visual.image_size, augment=False, seed=config.seed)

    def batches() -> Any:
        buf: list[torch.Tensor] = []
        for i in range(len(plain)):
            item = plain[i]
            buf.extend(item["images"][item["view_present"]])
            while len(buf) >= config.batch_size:
                yield torch.stack(buf[:config.batch_size])
                buf = buf[config.batch_size:]
        if len(buf) > 1:  # BatchNorm in train mode needs more than one sample
            yield torch.stack(buf)

    device = next(model.visual.parameters()).device
    with torch.no_grad():
        update_bn(batches(), model.visual, device=device)
