"""Classification protocols: light head, fine-tune, zero-shot, and the MLP head itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from bench_fakes import NoiseEncoder, OracleEncoder, TinyCLIP, TinyConv

from mammofm.eval import BenchContext, BenchModel, TaskNotApplicable, get_task
from mammofm.eval.heads import train_mlp


@pytest.fixture()
def ctx(cohorts, tmp_path):  # type: ignore[no-untyped-def]
    return BenchContext(cohorts[0], cohorts[1], out_dir=tmp_path, seed=0,
                        budget={"bootstrap": 50, "finetune_epochs": 2, "head_epochs": 30})


def test_mlp_head_learns_a_nonlinear_rule() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = ((X[:, 0] * X[:, 1]) > 0).astype(float)  # XOR-like: no linear rule
    y[:5] = np.nan  # unknown labels are ignored
    head = train_mlp(X[:300], y[:300], 2, epochs=60, seed=0)
    acc = (head.predict_proba(X[300:]).argmax(1) == y[300:]).mean()
    assert acc > 0.85  # majority baseline is ~0.5
    allowed = np.zeros((100, 2), bool)
    allowed[:, 0] = True
    assert (head.predict_proba(X[300:], allowed).argmax(1) == 0).all()


def test_light_head_beats_noise_features(ctx) -> None:  # type: ignore[no-untyped-def]
    task = get_task("mass_light_head")
    good = task.run(BenchModel("oracle", OracleEncoder()), ctx)
    bad = task.run(BenchModel("noise", NoiseEncoder()), ctx)
    assert good.metrics["auc"] > bad.metrics["auc"] + 0.2
    assert good.metrics["n_images"] == bad.metrics["n_images"] > 10


def test_finetune_trains_a_copy_and_scores_both_sites(ctx) -> None:  # type: ignore[no-untyped-def]
    enc = TinyConv()
    before = [p.detach().clone() for p in enc.parameters()]
    r = get_task("malignancy_finetune").run(BenchModel("conv", enc), ctx)
    assert all(torch.equal(a, b) for a, b in zip(before, enc.parameters()))
    assert 0.0 <= r.metrics["auc"] <= 1.0 and 0.0 <= r.external["auc"] <= 1.0
    assert r.metrics["n_images"] == int(ctx.split("internal", "test")["malignant"].notna().sum())
    assert "roc" in r.curves


def test_zero_shot_needs_a_text_tower(ctx) -> None:  # type: ignore[no-untyped-def]
    task = get_task("composition_zero_shot")
    with pytest.raises(TaskNotApplicable):
        task.run(BenchModel("noise", NoiseEncoder()), ctx)
    enc = OracleEncoder()
    r = task.run(BenchModel("clip", enc, TinyCLIP(enc)), ctx)
    assert 0.0 <= r.metrics["accuracy"] <= 1.0 and "breast_macro_f1" in r.metrics


@pytest.mark.parametrize("label", ["composition", "mass"])
def test_frozen_scorer_equals_adapt_linear_probe(label: str) -> None:
    from mammofm.adapt import linear_probe
    from mammofm.eval.tasks.classification import LABELS, _fit_frozen_linear

    rng = np.random.default_rng(0)
    X, Xt = rng.normal(size=(80, 5)), rng.normal(size=(20, 5))
    y = rng.integers(0, 4, 80).astype(float)
    if label == "mass":
        y = (y > 1).astype(float)
    y[:3] = np.nan
    spec = LABELS[label]
    ours = _fit_frozen_linear(spec, X, y, 0)(Xt)
    ref = linear_probe(X, y, Xt, seed=0, C=0.5, n_classes=len(spec.classes)).scores
    assert ours.shape == ref.shape and np.allclose(ours, ref)


def test_an_empty_test_split_is_one_clear_error(cohorts, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import copy

    from mammofm.eval import TaskError

    internal = copy.copy(cohorts[0])
    internal.manifest = internal.manifest.assign(split="train")
    ctx = BenchContext(internal, None, out_dir=tmp_path)
    for name in ("mass", "retrieval_other_view", "vqa_head"):
        with pytest.raises(TaskError, match=f"{name}: the internal cohort .* no usable test"):
            get_task(name).run(BenchModel("oracle", OracleEncoder()), ctx)
