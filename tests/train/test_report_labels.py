"""Report labels as training targets: the key table says what each key states, and the
report-label head's losses are the BCE / CE of exactly the labels a text states."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from mammofm.birads import Breast, Exam, Finding
from mammofm.models import create_model, load_model
from mammofm.reports import write
from mammofm.train import ClipTrainConfig, pretrain_clip
from mammofm.train.clip_data import BreastRecord, ClipBreastDataset
from mammofm.train.module import ClipPretrainModule
from mammofm.train.positives import NO_KEY, N_COMPOSITION, label_keys_and_table
from mammofm.train.text import split_report_by_side

TINY = {"image_size": (64, 40), "embed_dim": 32, "max_length": 48}


def _text(composition: str, kinds: tuple[str, ...], seed: int = 0) -> str:
    exam = Exam(study_id="s", breasts={"L": Breast(
        composition=composition, findings=[Finding(kind=k) for k in kinds],
        assessment="4A" if kinds else "1")})
    return split_report_by_side(write(exam, "default", seed))["L"]


def test_the_key_table_holds_what_each_key_states():
    texts = [_text("b", ()), _text("d", ("calcification",)), "", _text("a", ("mass",), 3)]
    keys, table = label_keys_and_table(texts, ["L"] * 4)
    assert keys[2] == NO_KEY and table.shape == (3, 5) and table.dtype == np.int64
    # columns: composition (a-d -> 0-3), mass, calcification, asymmetry, distortion
    assert table[keys[0]].tolist() == [1, 0, 0, 0, 0]
    assert table[keys[1]].tolist() == [3, 0, 1, 0, 0]
    assert table[keys[3]].tolist() == [0, 1, 0, 0, 0]


def _module(weight: float, comp_weight: float, table: np.ndarray) -> ClipPretrainModule:
    model = create_model("mammoclip-tiny", seed=0, **TINY)
    recs = [BreastRecord("s", "L", (None, None), "text", "report")]
    ds = ClipBreastDataset(recs, (64, 40), augment=False)
    cfg = ClipTrainConfig(output_dir="unused", report_label_weight=weight,
                          report_composition_weight=comp_weight)
    return ClipPretrainModule(model, cfg, ds, key_table=table)


def test_the_head_scores_exactly_the_stated_labels():
    table = np.array([[1, 0, 1, 0, -1],     # b, calcification, distortion unknown
                      [-1, 1, 0, 0, 0]])    # composition unknown, mass
    module = _module(1.0, 0.5, table)
    assert module.report_head is not None
    feats = torch.randn(3, module.model.visual.num_features, generator=torch.Generator().manual_seed(0))
    keys = torch.tensor([0, 1, NO_KEY])
    findings, composition = module._report_label_losses(feats, keys)
    out = module.report_head(feats[:2])
    want_f = F.binary_cross_entropy_with_logits(
        torch.cat([out[0, N_COMPOSITION:N_COMPOSITION + 3], out[1, N_COMPOSITION:]]),
        torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]))
    want_c = F.cross_entropy(out[:1, :N_COMPOSITION], torch.tensor([1]))
    assert findings.item() == pytest.approx(want_f.item(), rel=1e-6)
    assert composition.item() == pytest.approx(want_c.item(), rel=1e-6)
    findings.backward()
    assert module.report_head.weight.grad is not None and module.report_head.weight.grad.abs().sum() > 0
    # rows without a key add nothing
    module.report_head.zero_grad()
    none_f, none_c = module._report_label_losses(feats, torch.full((3,), NO_KEY))
    assert none_f.item() == 0.0 and none_c.item() == 0.0
    (none_f + none_c).backward()  # the head still takes part (zero gradients), as DDP needs
    assert module.report_head.weight.grad is not None
    assert module.report_head.weight.grad.abs().sum() == 0
    # off by default: no head
    assert _module(0.0, 0.0, table).report_head is None


def test_pretraining_with_report_labels_logs_them_and_saves_a_plain_model(toy_set, tmp_path):
    cfg = ClipTrainConfig(output_dir=str(tmp_path / "rl"), model_overrides=TINY, batch_size=4,
                          max_epochs=1, lr=2e-3, progress_bar=False, tensorboard=False,
                          log_every_n_steps=1, seed=7, report_label_weight=1.0,
                          report_composition_weight=0.1)
    model = pretrain_clip(toy_set, cfg)
    metrics = pd.read_csv(next((tmp_path / "rl" / "logs").rglob("metrics.csv")))
    assert (metrics["train/report_label_loss_step"].dropna() > 0).all()
    saved = load_model(tmp_path / "rl" / "model")  # strict: a head key would fail the load
    assert saved.state_dict().keys() == model.state_dict().keys()
    assert not any("report_head" in k for k in saved.state_dict())
