"""The downstream verbs end to end on the shared prepared cohort and a fresh saved model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from mammofm.cli import app


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    from mammofm.models import create_model

    folder = tmp_path_factory.mktemp("model") / "tiny"
    create_model("mammoclip-tiny", seed=0, image_size=(256, 160)).save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_embed_zeroshot_probe_verbs(saved_model, prepared_cohort, tmp_path):
    from mammofm.adapt import extract_features
    from mammofm.adapt.embed import read_embeddings
    from mammofm.data import load_cohort
    from mammofm.models import load_model

    runner = CliRunner()
    out = tmp_path / "emb"
    r = runner.invoke(app, ["embed", str(saved_model), str(prepared_cohort), "--out", str(out),
                            "--split", "test"])
    assert r.exit_code == 0, r.output
    frame, X = read_embeddings(out / "image_embeddings.parquet")
    cohort = load_cohort(prepared_cohort)
    test = cohort.split("test")
    assert frame["image_id"].tolist() == test["image_id"].tolist()
    ref = extract_features(load_model(saved_model), test, kind="embedding", progress=False)
    np.testing.assert_allclose(X, ref.X, atol=1e-6)
    tframe, T = read_embeddings(out / "text_embeddings.parquet")
    assert set(tframe["study_id"]) == set(test["study_id"]) and T.shape[1] == X.shape[1]

    js = tmp_path / "zs.json"
    r = runner.invoke(app, ["zeroshot", str(saved_model), str(prepared_cohort), "--task", "mass",
                            "--task", "composition", "--n-resamples", "50", "--json", str(js)])
    assert r.exit_code == 0, r.output
    res = json.loads(js.read_text())
    assert set(res) == {"mass", "composition"} and res["composition"]["metric"] == "accuracy"
    assert res["mass"]["n_breasts"] == test.groupby(["study_id", "laterality"]).ngroups

    js = tmp_path / "probe.json"
    r = runner.invoke(app, ["probe", str(saved_model), str(prepared_cohort), "--label",
                            "composition_class", "--n-resamples", "50", "--json", str(js)])
    # composition is a 4-class label: the probe reports argmax accuracy
    assert r.exit_code == 0, r.output
    assert 0 <= json.loads(js.read_text())["composition_class"]["point"] <= 1


def test_verbs_name_the_bad_input(saved_model, tmp_path):
    r = CliRunner().invoke(app, ["zeroshot", str(saved_model), str(tmp_path / "nope.parquet")])
    assert r.exit_code == 1
    assert "nope.parquet" in r.output
