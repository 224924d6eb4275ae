from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from mammofm.adapt import extract_features, per_breast, task_metric
from mammofm.adapt.efficiency import data_efficiency, patient_subset, plot_curves, summarize
from mammofm.adapt.finetune import FinetuneConfig, finetune


def test_finetune_learns_and_leaves_the_encoder_alone(blob_data, make_tower):
    tower = make_tower(0)
    before = {k: v.clone() for k, v in tower.state_dict().items()}
    train_idx = np.flatnonzero(blob_data.frame()["split"] == "train")
    cfg = FinetuneConfig(epochs=4, lr=3e-3, head_lr=1e-2, batch_size=16, seed=0)
    res = finetune(tower, blob_data, "mass", config=cfg, indices=train_idx, progress=False)
    assert all(torch.equal(before[k], v) for k, v in tower.state_dict().items())
    assert res.history[-1] < res.history[0]
    frame, scores = res.predict(blob_data)
    test = (frame["image_id"].isin(blob_data.frame()["image_id"][blob_data.frame()["split"]
                                                                   == "test"])).to_numpy()
    breasts, s = per_breast(frame[test], scores[test], ["mass"])
    assert task_metric(breasts["mass"].to_numpy(float), s)[1] > 0.75
    # same seed -> same weights
    res2 = finetune(tower, blob_data, "mass", config=cfg, indices=train_idx, progress=False)
    for (k, a), b in zip(res.model.state_dict().items(), res2.model.state_dict().values()):
        assert torch.equal(a, b), k


def test_finetune_multiclass_head(blob_data, make_tower):
    res = finetune(make_tower(1), blob_data, "composition_class", n_classes=4,
                   config=FinetuneConfig(epochs=1, batch_size=32), progress=False,
                   indices=np.arange(64))
    _, scores = res.predict(blob_data)
    assert scores.shape == (len(blob_data), 4)
    np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-5)


def test_patient_subset_keeps_patients_whole_and_is_seeded():
    frame = pd.DataFrame({"patient_id": np.repeat([f"p{i}" for i in range(50)], 4),
                          "y": np.tile([0, 0, 1, 1], 50)})
    m = patient_subset(frame, 0.1, seed=3, label="y")
    assert frame["patient_id"][m].nunique() == 5 and m.sum() == 20
    np.testing.assert_array_equal(m, patient_subset(frame, 0.1, seed=3, label="y"))
    assert not np.array_equal(m, patient_subset(frame, 0.1, seed=4, label="y"))
    # two classes guaranteed even at 1 patient when each patient has one class only
    frame["y"] = np.repeat(np.arange(50) % 2, 4)
    m1 = patient_subset(frame, 0.01, seed=0, label="y")
    assert set(frame["y"][m1]) == {0, 1}


def test_data_efficiency_grows_with_labels_and_plots(tiny_clip, blob_data, tmp_path):
    f = extract_features(tiny_clip, blob_data, progress=False)
    split = blob_data.frame()["split"].to_numpy()
    tr, te = f.subset(split == "train"), f.subset(split == "test")
    curves = data_efficiency(tr, te, "mass", fractions=(0.1, 1.0), seeds=(0, 1),
                             n_resamples=200)
    assert len(curves) == 4
    assert (curves["ci_low"] <= curves["metric"]).all()
    assert (curves["metric"] <= curves["ci_high"]).all()
    s = summarize(curves)
    full = s[s.fraction == 1.0]["metric"].item()
    assert full > 0.8 and full >= s[s.fraction == 0.1]["metric"].item()
    png = plot_curves(curves, tmp_path / "eff.png", title="test")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
