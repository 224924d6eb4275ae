"""The chest-wall side from a mask or an image, and who decides the flip."""

from __future__ import annotations

import numpy as np
import pytest

from mammofm.preprocess import chest_wall_side, decide_flip, detect_chest_wall_side
from mammofm.preprocess.side import tag_chest_wall_side
from mg_factory import breast_image


def _half_disc(chest: str) -> np.ndarray:
    yy, xx = np.mgrid[0:200, 0:120]
    dx = xx if chest == "left" else 119 - xx
    return ((yy - 100) / 90) ** 2 + (dx / 110) ** 2 <= 1


@pytest.mark.parametrize("chest", ["left", "right"])
def test_mask_and_image(chest):
    side, conf = chest_wall_side(_half_disc(chest))
    assert side == chest and conf > 0.5
    img, _ = breast_image(chest=chest, seed=2)
    side, conf = detect_chest_wall_side((img.astype(np.float32) / 4095 * 65535).astype(np.uint16))
    assert side == chest and conf > 0.3


def test_symmetric_or_empty_mask_is_unsure():
    assert chest_wall_side(np.zeros((10, 10), bool)) == (None, 0.0)
    assert chest_wall_side(np.ones((10, 10), bool)) == (None, 0.0)


@pytest.mark.parametrize("tag,img,conf,side,source", [
    ("left", "left", 0.8, "left", "tags"),
    ("right", None, 0.0, "right", "tags"),
    ("right", "left", 0.1, "right", "tags"),  # an unsure image does not overrule the tags
    ("right", "left", 0.8, "left", "image (tags disagree)"),
    (None, "right", 0.8, "right", "image (no tags)"),
    (None, "right", 0.1, "right", "image (unsure)"),
    (None, None, 0.0, "left", "default"),
])
def test_decide_flip(tag, img, conf, side, source):
    d = decide_flip(tag, img, conf)
    assert (d.chest_wall, d.source, d.flipped) == (side, source, side == "right")


def test_tag_side_prefers_patient_orientation():
    assert tag_chest_wall_side("R", "left") == "left"
    assert tag_chest_wall_side("R", None) == "right"
    assert tag_chest_wall_side(None, None) is None
