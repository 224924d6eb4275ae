"""CLIP data from the shared synthetic cohort (``prepared_cohort`` session fixture)."""

from __future__ import annotations

import pytest
import torch
from typer.testing import CliRunner

from mammofm.birads import lexicon
from mammofm.cli import app
from mammofm.data import load_cohort
from mammofm.models import load_model
from mammofm.train.clip_data import ClipBreastDataset, EpochSampler
from mammofm.train.config import ClipTrainConfig
from mammofm.train.pretrain import build_records


def test_every_training_breast_gets_its_views_and_own_text(prepared_cohort):
    cohort = load_cohort(prepared_cohort)
    records, skipped = build_records(cohort, ClipTrainConfig())
    train = cohort.split("train")
    assert len(records) + len(skipped) == train.groupby(["study_id", "laterality"]).ngroups
    assert len(records) >= 0.9 * (len(records) + len(skipped))
    assert all(r.source == "report" for r in records)
    other = {"L": "R", "R": "L"}
    for r in records:
        assert all(r.image_paths), r  # the cohort has CC and MLO of every breast
        text = f" {r.text.lower()} "
        words = [w for w in (lexicon.phrase("laterality", other[r.laterality]),
                             *lexicon.synonyms("laterality", other[r.laterality])) if len(w) > 1]
        # a sentence naming only the other side never lands here
        for sentence in r.text.split(". "):
            s = f" {sentence.lower()} "
            own = [w for w in (lexicon.phrase("laterality", r.laterality),
                               *lexicon.synonyms("laterality", r.laterality)) if len(w) > 1]
            if any(f" {w} " in s for w in words):
                assert any(f" {w} " in s for w in own) or "bilateral" in s or "either" in s \
                    or "both" in s, (r.laterality, sentence)
        assert text.strip()
    ds = ClipBreastDataset(records[:4], (128, 80), seed=1)
    sampler = EpochSampler(len(ds), seed=1)
    sampler.set_epoch(2)
    key = next(iter(sampler))
    a, b = ds[key], ds[key]
    assert a["images"].shape == (2, 1, 128, 80) and a["view_present"].all()
    assert torch.equal(a["images"], b["images"]) and a["text"] == b["text"]  # seeded by key
    assert not torch.equal(ds[(3, key[1])]["images"], a["images"])  # new epoch, new draw


def test_several_splits_pretrain_together(prepared_cohort):
    cohort = load_cohort(prepared_cohort)
    m = cohort.manifest
    def breasts(split: str) -> set[tuple[str, str]]:
        records, _ = build_records(cohort, ClipTrainConfig(train_split=split))
        return {(r.study_id, r.laterality) for r in records}
    train, val, both = breasts("train"), breasts("val"), breasts("train, val")
    assert train and val and not train & val
    assert both == train | val
    test_studies = set(m.loc[m["split"] == "test", "study_id"].astype(str))
    assert not {s for s, _ in both} & test_studies  # the held-out split never pretrains
    with pytest.raises(ValueError, match="names no split"):
        breasts(" , ")


def test_cli_pretrain_clip_on_prepared_cohort(prepared_cohort, tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["pretrain", "clip", str(prepared_cohort), "--out", str(out),
                                   "--size", "64x40", "--max-steps", "2", "--batch-size", "4",
                                   "--lr", "1e-3", "--split", "train,val"])
    assert res.exit_code == 0, res.output
    model = load_model(out / "model")
    assert model.visual.image_size == (64, 40)
    saved = ClipTrainConfig.load(out)
    assert saved.max_steps == 2 and saved.train_split == "train,val"
    bad = CliRunner().invoke(app, ["pretrain", "clip", str(tmp_path / "nowhere"), "--out",
                                   str(out)])
    assert bad.exit_code == 2 and "nowhere" in bad.output
    bad_split = CliRunner().invoke(app, ["pretrain", "clip", str(prepared_cohort), "--out",
                                         str(tmp_path / "run2"), "--split", " , "])
    assert bad_split.exit_code == 2 and "names no split" in bad_split.output
