from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from mammofm.models import (MammoCLIP, ModelLoadError, create_model, from_pretrained, load_model)


@pytest.fixture(scope="module")
def tiny():
    return create_model("mammoclip-tiny", image_size=(128, 80), seed=1,
                        text_corpus=["Left breast: an oval circumscribed mass.", "No mass."]).eval()


def test_round_trip_gives_identical_outputs(tiny, tmp_path):
    out = tiny.save_pretrained(tmp_path / "m")
    assert {p.name for p in out.iterdir()} == {"config.json", "model.safetensors", "text"}
    cfg = json.loads((out / "config.json").read_text())
    # the config carries the preprocessing the weights expect
    assert cfg["vision"]["image_size"] == [128, 80]
    assert cfg["vision"]["in_chans"] == 1 and cfg["vision"]["mean"] == [0.5]
    assert cfg["vision"]["canonical_side"] == "left" and cfg["vision"]["windowing"]
    back = load_model(out)
    assert isinstance(back, MammoCLIP) and isinstance(from_pretrained(str(out)), MammoCLIP)
    assert back.config == tiny.config
    x = torch.rand(2, 1, 128, 80)
    texts = ["oval circumscribed mass", "no suspicious calcifications"]
    with torch.no_grad():
        assert torch.equal(back.encode_image(x), tiny.encode_image(x))
        assert torch.equal(back.encode_text(texts), tiny.encode_text(texts))
    assert back.text.tokenizer.get_vocab() == tiny.text.tokenizer.get_vocab()


def test_strict_loading_names_every_bad_key(tiny, tmp_path):
    out = tiny.save_pretrained(tmp_path / "m")
    wfile = out / "model.safetensors"
    state = load_file(str(wfile))
    gone = sorted(k for k in state if k.startswith("visual."))[:2]
    for k in gone:
        del state[k]
    state["extra.head.weight"] = torch.zeros(3)
    state["image_projection.weight"] = torch.zeros(5, 5)
    save_file(state, str(wfile))
    with pytest.raises(ModelLoadError) as err:
        load_model(out)
    msg = str(err.value)
    assert str(wfile) in msg
    for k in gone:
        assert k in msg
    assert "unexpected keys: extra.head.weight" in msg
    assert "image_projection.weight (file (5, 5)" in msg


def test_missing_or_broken_files_are_named(tmp_path):
    with pytest.raises(ModelLoadError, match="config.json missing"):
        load_model(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelLoadError, match=r"config\.json: not valid JSON"):
        load_model(tmp_path)


def test_local_timm_checkpoint_is_loaded(tmp_path):
    import timm

    torch.manual_seed(5)
    ref = timm.create_model("resnet10t", pretrained=False, in_chans=1, num_classes=0)
    ckpt = tmp_path / "resnet10t.pth"
    torch.save(ref.state_dict(), ckpt)
    model = create_model("mammoclip-tiny", timm_name="resnet10t", checkpoint=str(ckpt),
                         image_size=(64, 64))
    for k, v in ref.state_dict().items():
        assert torch.equal(model.visual.trunk.state_dict()[k], v), k
    with pytest.raises(Exception, match="nowhere.pth"):
        create_model("mammoclip-tiny", checkpoint=str(tmp_path / "nowhere.pth"))
