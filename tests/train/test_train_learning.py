"""Pretraining learns: after CLIP pretraining on toy image-report pairs, zero-shot scores
(image vs "mass" / "no mass" report texts) separate held-out breasts far better than the same
model before training."""

from __future__ import annotations

import pytest
import torch
from sklearn.metrics import roc_auc_score

from mammofm.data import read_image
from mammofm.models import load_model
from mammofm.train import ClipTrainConfig, pretrain_clip
from mammofm.train.label_text import labels_to_text

from toy_data import make_toy_set


def _zero_shot_auc(model, manifest) -> float:
    x = torch.stack([torch.from_numpy(read_image(p))[None] for p in manifest["image_path"]])
    def texts(mass: float, birads: str) -> list[str]:
        return [labels_to_text({"mass": mass, "composition": "b", "birads": birads}, "L", s)
                for s in range(5)]

    pos, neg = texts(1.0, "4"), texts(0.0, "1")
    model.eval()
    with torch.no_grad():
        img = model.encode_image(x)
        score = img @ model.encode_text(pos).mean(0) - img @ model.encode_text(neg).mean(0)
    return float(roc_auc_score(manifest["mass"].to_numpy(), score.numpy()))


@pytest.mark.slow
def test_pretraining_beats_untrained_on_held_out_breasts(tmp_path):
    manifest, reports = make_toy_set(tmp_path / "toy", 24, split_every=4, seed=1)
    cfg = ClipTrainConfig(output_dir=str(tmp_path / "run"), batch_size=8, max_epochs=10,
                          lr=5e-3, warmup_steps=2, seed=0, progress_bar=False, tensorboard=False,
                          model_overrides={"image_size": (64, 40), "embed_dim": 32,
                                           "max_length": 48})
    trained = pretrain_clip((manifest, reports), cfg)
    held_out = manifest[manifest["split"] == "test"]
    assert held_out["mass"].nunique() == 2 and len(held_out) >= 20
    before = _zero_shot_auc(load_model(tmp_path / "run" / "model_init"), held_out)
    after = _zero_shot_auc(trained, held_out)
    assert after >= 0.9 and after >= before + 0.2, (before, after)
