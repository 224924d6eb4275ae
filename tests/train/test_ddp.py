from __future__ import annotations

import pytest
import torch

from mammofm.models import load_model
from mammofm.train import ClipTrainConfig, pretrain_clip

TINY = {"image_size": (64, 40), "embed_dim": 32, "max_length": 48}


@pytest.mark.slow
def test_two_process_ddp_on_cpu(toy_set, tmp_path):
    """Two gloo processes through Lightning's DDP train and save one model (fork: the workers
    reuse this process's imports; spawn would re-import torch and Lightning twice)."""
    cfg = ClipTrainConfig(output_dir=str(tmp_path / "ddp"), model_overrides=TINY, batch_size=3,
                          max_epochs=1, lr=2e-3, progress_bar=False, tensorboard=False,
                          devices=2, strategy="ddp_fork", log_every_n_steps=1, seed=3)
    model = pretrain_clip(toy_set, cfg)
    saved = load_model(tmp_path / "ddp" / "model")
    init = load_model(tmp_path / "ddp" / "model_init")
    a, b, c = model.state_dict(), saved.state_dict(), init.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)  # weights came back from the workers
    assert any(not torch.equal(a[k], c[k]) for k in a)  # and training changed them
    assert all(torch.isfinite(v).all() for v in a.values() if v.is_floating_point())
