from __future__ import annotations

import numpy as np
import pytest
import torch

from mammofm.adapt import extract_features, linear_probe, per_breast, task_metric


def test_extract_features_shapes_ids_and_determinism(tiny_clip, blob_data):
    f1 = extract_features(tiny_clip, blob_data, batch_size=7, progress=False)
    f2 = extract_features(tiny_clip, blob_data, batch_size=32, progress=False)
    assert f1.X.shape == (len(blob_data), tiny_clip.visual.num_features)
    assert f1.ids == [it["image_id"] for it in blob_data.items]
    np.testing.assert_allclose(f1.X, f2.X, rtol=1e-5, atol=1e-6)  # batching does not matter
    assert set(f1.frame.columns) >= {"image_id", "study_id", "laterality", "mass"}
    assert tiny_clip.training  # mode restored


def test_extract_embedding_kind_is_normalised(tiny_clip, blob_data):
    f = extract_features(tiny_clip, blob_data, kind="embedding", progress=False)
    assert f.X.shape[1] == 8
    np.testing.assert_allclose(np.linalg.norm(f.X, axis=1), 1.0, atol=1e-5)
    with pytest.raises(TypeError, match="encode_image"):
        extract_features(tiny_clip.visual, blob_data, kind="embedding", progress=False)


def test_linear_probe_beats_chance_on_held_out_patients(tiny_clip, blob_data):
    f = extract_features(tiny_clip, blob_data, progress=False)
    split = blob_data.frame()["split"].to_numpy()
    tr, te = f.subset(split == "train"), f.subset(split == "test")
    assert not set(tr.frame.patient_id) & set(te.frame.patient_id)
    res = linear_probe(tr.X, tr.labels("mass"), te.X, te.labels("mass"), seed=0)
    assert res.binary and res.metric_name == "auc"
    assert res.metric > 0.8  # chance is 0.5
    breasts, s = per_breast(te.frame, res.scores, ["mass"])
    assert len(breasts) == len(te) // 2
    assert task_metric(breasts["mass"].to_numpy(float), s)[1] > 0.8


def test_linear_probe_multiclass_columns_mean_class_index(tiny_clip, blob_data):
    f = extract_features(tiny_clip, blob_data, progress=False)
    y = f.labels("composition_class")
    keep = y != 1  # class 1 never seen in training
    res = linear_probe(f.X[keep], y[keep], f.X, y, n_classes=4, seed=0)
    assert res.scores.shape == (len(f), 4)
    assert np.all(res.scores[:, 1] == 0)
    np.testing.assert_allclose(res.scores.sum(axis=1), 1.0, atol=1e-6)
    assert res.metric_name == "accuracy"


def test_linear_probe_nan_labels_dropped_and_one_class_refused():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(float)
    y[:5] = np.nan
    res = linear_probe(X, y, X, y, seed=0)
    assert res.metric > 0.9
    with pytest.raises(ValueError, match="two classes"):
        linear_probe(X, np.zeros(40), X)


def test_linear_probe_is_seeded():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(60, 5)), rng.integers(0, 2, 60)
    a = linear_probe(X, y, X, seed=3).scores
    b = linear_probe(X, y, X, seed=3).scores
    np.testing.assert_array_equal(a, b)


def test_per_breast_means_views():
    import pandas as pd

    frame = pd.DataFrame({"study_id": ["s1", "s1", "s1", "s2"],
                          "laterality": ["L", "L", "R", "L"], "mass": [1, 1, 0, 0]})
    breasts, s = per_breast(frame, np.array([0.2, 0.6, 0.9, 0.1]), ["mass"])
    assert breasts[["study_id", "laterality"]].values.tolist() == [["s1", "L"], ["s1", "R"],
                                                                   ["s2", "L"]]
    np.testing.assert_allclose(s, [0.4, 0.9, 0.1])
    assert breasts["n_views"].tolist() == [2, 1, 1]
    _, s2 = per_breast(frame, np.array([[1, 0], [0, 1], [1, 1], [0, 0]]))
    np.testing.assert_allclose(s2, [[0.5, 0.5], [1, 1], [0, 0]])


def _few_signals_many_noise(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, 150))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_choose_C_agrees_with_sklearn_grid_search_on_the_same_folds(seed):
    from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

    from mammofm.adapt.probe import C_GRID, _pipeline, choose_C

    rng = np.random.default_rng(seed)
    X, y = _few_signals_many_noise(rng, 80)
    groups = np.repeat(np.arange(40), 2)
    ours = choose_C(X, y, groups, seed=seed)
    folds = list(StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=seed)
                 .split(X, y, groups))
    ref = GridSearchCV(_pipeline(1.0, seed, 2000, None),
                       {"logisticregression__C": sorted(C_GRID)}, scoring="roc_auc",
                       cv=folds).fit(X, y)
    assert ours == ref.best_params_["logisticregression__C"]
    auto = linear_probe(X, y, X, seed=seed, groups=groups)
    assert auto.C == ours


def test_choose_C_falls_back_without_two_groups_per_class_and_folds_keep_groups(monkeypatch):
    import mammofm.adapt.probe as probe

    rng = np.random.default_rng(6)
    X, y = _few_signals_many_noise(rng, 40)
    assert probe.choose_C(X, y, np.where(y == 1, "p1", "p0")) == probe.FALLBACK_C
    seen: list[tuple[np.ndarray, np.ndarray]] = []

    class Spy(probe.StratifiedGroupKFold):
        def split(self, X, y=None, groups=None):  # type: ignore[override]
            for tr, va in super().split(X, y, groups):
                seen.append((tr, va))
                yield tr, va

    monkeypatch.setattr(probe, "StratifiedGroupKFold", Spy)
    groups = np.repeat(np.arange(10), 4)  # 10 patients, 4 images each
    probe.choose_C(X, y, groups, seed=0)
    assert len(seen) >= 2
    for tr, va in seen:
        assert not set(groups[tr]) & set(groups[va])


def test_probe_records_a_fixed_C_and_refuses_a_bad_one():
    rng = np.random.default_rng(7)
    X, y = _few_signals_many_noise(rng, 50)
    assert linear_probe(X, y, X, seed=0, C=0.3).C == 0.3
    with pytest.raises(ValueError, match="'auto'"):
        linear_probe(X, y, X, C="best")
