"""Label-aware positives: what a breast's text states becomes a key, and equal keys are
positives in every term of the CLIP loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mammofm.birads import Breast, Exam, Finding
from mammofm.reports import STYLES, write
from mammofm.train.clip_data import BreastRecord, ClipBreastDataset
from mammofm.train.losses import ClipLoss, multi_positive_ce
from mammofm.train.positives import NO_KEY, label_keys, text_label_key
from mammofm.train.text import split_report_by_side


def _text(composition: str, kinds: tuple[str, ...], style: str, seed: int) -> str:
    exam = Exam(study_id="s", breasts={"L": Breast(
        composition=composition, findings=[Finding(kind=k) for k in kinds],
        assessment="4A" if kinds else "1")})
    return split_report_by_side(write(exam, style, seed))["L"]


def test_the_key_is_what_the_text_states_whatever_its_wording():
    styles = sorted(STYLES)
    calc = [_text("c", ("calcification",), st, seed) for st in styles for seed in (0, 1)]
    assert len(set(calc)) > 1  # really different wordings
    keys = {text_label_key(t, "L") for t in calc}
    assert keys == {("c", 0, 1, 0, 0)}
    assert text_label_key(_text("c", ("mass",), styles[0], 0), "L") == ("c", 1, 0, 0, 0)
    assert text_label_key(_text("a", (), styles[0], 0), "L") == ("a", 0, 0, 0, 0)
    assert text_label_key("", "L") is None
    assert text_label_key("Patient was seen. Images reviewed.", "L") is None


def test_label_keys_are_dense_ids_shared_by_equal_keys():
    texts = [_text("b", (), "default", 0), _text("b", ("calcification",), "default", 0),
             _text("b", (), "default", 3), "", _text("b", ("calcification",), "default", 5)]
    keys = label_keys(texts, ["L"] * 5)
    assert keys.dtype == np.int64
    assert keys[0] == keys[2] and keys[1] == keys[4] and keys[0] != keys[1]
    assert keys[3] == NO_KEY
    assert set(keys[keys >= 0]) == {0, 1}


def test_unknown_keys_change_nothing_and_known_ones_widen_every_term():
    g = torch.Generator().manual_seed(0)
    img = F.normalize(torch.randn(6, 8, generator=g), dim=-1)
    txt = F.normalize(torch.randn(3, 8, generator=g), dim=-1)
    gi, gt, scale = torch.tensor([0, 0, 1, 1, 2, 2]), torch.tensor([0, 1, 2]), torch.tensor(10.0)
    loss = ClipLoss(image_image_weight=1.0, text_text_weight=1.0)
    plain = loss(img, gi, txt, gt, scale, txt)
    none = torch.full((3,), NO_KEY)
    unknown = loss(img, gi, txt, gt, scale, txt, image_keys=none[gi], text_keys=none)
    for k in plain:
        assert unknown[k].item() == pytest.approx(plain[k].item(), abs=1e-7)
    keys = torch.tensor([5, 5, 7])  # breasts 0 and 1 state the same things
    keyed = loss(img, gi, txt, gt, scale, txt, image_keys=keys[gi], text_keys=keys)
    same_it = (keys[gi][:, None] == keys[None, :])
    logits = scale * img @ txt.t()
    want = 0.5 * (multi_positive_ce(logits, same_it) + multi_positive_ce(logits.t(), same_it.t()))
    assert keyed["contrastive_loss"].item() == pytest.approx(want.item(), rel=1e-6)
    eye = torch.eye(6, dtype=torch.bool)
    want_ii = multi_positive_ce(scale * img @ img.t(), keys[gi][:, None] == keys[gi][None, :],
                                exclude=eye)
    assert keyed["image_image_loss"].item() == pytest.approx(want_ii.item(), rel=1e-6)
    assert keyed["contrastive_loss"].item() != pytest.approx(plain["contrastive_loss"].item())


def _fit_images(keys: torch.Tensor | None) -> float:
    """Image embeddings trained against fixed texts -> how much closer each image of breasts 0
    and 1 is to its own breast's text than to the other's (mean)."""
    g = torch.Generator().manual_seed(1)
    txt = F.normalize(torch.randn(3, 8, generator=g), dim=-1)
    raw = torch.randn(6, 8, generator=g).requires_grad_(True)
    gi, gt, scale = torch.tensor([0, 0, 1, 1, 2, 2]), torch.tensor([0, 1, 2]), torch.tensor(10.0)
    loss, opt = ClipLoss(0.0, 0.0), torch.optim.Adam([raw], lr=0.05)
    for _ in range(200):
        opt.zero_grad()
        img = F.normalize(raw, dim=-1)
        kw = {} if keys is None else {"image_keys": keys[gi], "text_keys": keys}
        loss(img, gi, txt, gt, scale, **kw)["loss"].backward()
        opt.step()
    sim = F.normalize(raw.detach(), dim=-1) @ txt.t()
    return float(torch.cat([sim[:2, 0] - sim[:2, 1], sim[2:4, 1] - sim[2:4, 0]]).mean())


def test_breasts_that_state_the_same_are_not_driven_apart():
    plain = _fit_images(None)
    keyed = _fit_images(torch.tensor([5, 5, 7]))
    assert abs(keyed) < 0.05  # each image matches both wordings of the same meaning alike
    assert plain > 0.3        # plain CLIP tied each image to its own wording


def test_the_dataset_hands_each_breast_its_key():
    recs = [BreastRecord("s1", "L", (None, None), "text one", "report"),
            BreastRecord("s2", "R", (None, None), "text two", "report")]
    ds = ClipBreastDataset(recs, (16, 8), augment=False, label_keys=[3, NO_KEY])
    assert [ds[i]["label_key"] for i in range(2)] == [3, NO_KEY]
    assert ClipBreastDataset(recs, (16, 8), augment=False)[0]["label_key"] == NO_KEY
    with pytest.raises(ValueError, match="1 label keys for 2 records"):
        ClipBreastDataset(recs, (16, 8), augment=False, label_keys=[1])
