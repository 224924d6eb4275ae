"""After pretraining, the saved image tower's BatchNorm statistics match its features, so
eval-mode embeddings still tell images apart (they collapsed before recalibration)."""

from __future__ import annotations

import torch

from mammofm.data import read_image
from mammofm.train import ClipTrainConfig, pretrain_clip

TINY = {"image_size": (64, 40), "embed_dim": 32, "max_length": 48}


def _eval_spread(model, paths) -> float:
    x = torch.stack([torch.from_numpy(read_image(p))[None] for p in paths])
    model.eval()
    with torch.no_grad():
        return float(model.visual(x).std(0).mean())


def _train_spread(model, paths) -> float:
    x = torch.stack([torch.from_numpy(read_image(p))[None] for p in paths])
    model.train()
    with torch.no_grad():
        out = float(model.visual(x).std(0).mean())
    model.eval()
    return out


def test_recalibrated_tower_keeps_images_apart_in_eval_mode(toy_set, tmp_path):
    manifest, _ = toy_set
    paths = list(manifest["image_path"])
    runs = {}
    for recal in (False, True):
        cfg = ClipTrainConfig(output_dir=str(tmp_path / f"r{int(recal)}"), model_overrides=TINY,
                              batch_size=4, max_epochs=3, lr=3e-3, progress_bar=False,
                              tensorboard=False, log_every_n_steps=1, seed=3,
                              recalibrate_bn=recal)
        runs[recal] = pretrain_clip(toy_set, cfg)
    ratio = {k: _eval_spread(m, paths) / _train_spread(m, paths) for k, m in runs.items()}
    print(f"eval/train feature spread: {ratio}")
    # recalibrated: eval-mode spread within a factor of a few of train-mode spread,
    # and far closer to it than the EMA statistics left by training
    assert ratio[True] > 0.3, ratio
    assert ratio[True] > 3 * ratio[False], ratio
