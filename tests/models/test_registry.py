from __future__ import annotations

import json

import pytest
import torch

from mammofm.models import (ClipConfig, MammoCLIP, ModelConfigError, create_model, get_config,
                            list_models, register_config_dir)


def test_named_configs_listed_and_round_trip_json():
    names = list_models()
    assert {"mammoclip-tiny", "mammoclip-b2", "mammoclip-b5"} <= set(names)
    for name in names:
        cfg = get_config(name)
        assert cfg.name == name
        assert ClipConfig.from_dict(json.loads(cfg.to_json())) == cfg


def test_published_b5_recipe():
    cfg = get_config("mammoclip-b5")
    assert cfg.vision.timm_name == "tf_efficientnet_b5"
    assert cfg.vision.image_size == (1520, 912)
    assert cfg.embed_dim == 512
    assert cfg.init_temperature == pytest.approx(0.07)
    assert cfg.text.source == "emilyalsentzer/Bio_ClinicalBERT"


def test_unknown_name_and_unknown_key_are_named(tmp_path):
    with pytest.raises(ModelConfigError, match="unknown model 'nope'"):
        get_config("nope")
    bad = tmp_path / "typo.json"
    bad.write_text(json.dumps({"name": "typo", "vision": {"timm_nme": "resnet10t"}}))
    with pytest.raises(ModelConfigError, match=r"typo\.json.*timm_nme"):
        get_config(bad)
    with pytest.raises(ModelConfigError, match="not a model config field"):
        create_model("mammoclip-tiny", no_such_field=1)


def test_overrides_route_to_towers_and_user_config_dirs(tmp_path):
    model = create_model("mammoclip-tiny", image_size=(128, 80), max_length=32, embed_dim=64,
                         in_chans=3)
    assert isinstance(model, MammoCLIP)
    assert model.visual.image_size == (128, 80)
    assert model.visual.in_chans == 3 and len(model.config.vision.mean) == 3
    assert model.text.config.max_length == 32
    assert model.encode_image(torch.rand(1, 1, 128, 80)).shape == (1, 64)  # gray -> RGB tower
    cfg = get_config("mammoclip-tiny")
    cfg.name = "my-clip"
    (tmp_path / "my-clip.json").write_text(cfg.to_json())
    register_config_dir(tmp_path)
    assert "my-clip" in list_models()
    assert get_config("my-clip").vision == get_config("mammoclip-tiny").vision


def test_seeded_creation_is_reproducible():
    a = create_model("mammoclip-tiny", seed=3).state_dict()
    b = create_model("mammoclip-tiny", seed=3).state_dict()
    c = create_model("mammoclip-tiny", seed=4).state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())


def test_unknown_timm_name_and_uncached_hub_text_tower_fail_clearly():
    with pytest.raises(ModelConfigError, match="no_such_net"):
        create_model("mammoclip-tiny", timm_name="no_such_net")
    # the published text tower is a hub id: never fetched, so (uncached) it fails offline, naming it
    with pytest.raises(ModelConfigError, match="Bio_ClinicalBERT.*offline"):
        create_model("mammoclip-b2", image_size=(64, 64))
