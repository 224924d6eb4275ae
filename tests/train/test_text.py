from __future__ import annotations

import math

import numpy as np
import pytest

from mammofm.birads import Breast, Exam, Finding, lexicon
from mammofm.reports import STYLES, write
from mammofm.train.label_text import labels_to_text
from mammofm.train.text import augment_sentences, split_report_by_side, split_sentences


def _exam() -> Exam:
    return Exam(study_id="S1", breasts={
        "L": Breast(composition="c", findings=[Finding(kind="mass", size_mm=12)], assessment="4B"),
        "R": Breast(composition="c", findings=[], assessment="1")})


@pytest.mark.parametrize("style", sorted(STYLES))
def test_report_is_split_per_side(style):
    text = write(_exam(), style, seed=3)
    parts = split_report_by_side(text)
    left, right = parts["L"].lower(), parts["R"].lower()
    assert left and right
    density = lexicon.phrase("composition", "c").lower()
    short = [s.lower() for s in lexicon.synonyms("composition", "c")]
    if density in text.lower() or any(s in text.lower() for s in short):
        forms = [density, *short]
        assert any(s in left for s in forms) and any(s in right for s in forms)
    # the category of the left breast is only in the left text (the overall line names none)
    assert "4b" in left
    assert "4b" not in right or "overall" in right or "final" in right
    # history / comparison / recommendation sections are dropped where the report has headers
    if STYLES[style].headers:
        for drop in ("history", "comparison", "recommend", "advice"):
            assert drop not in left + right, drop


def test_side_words_route_sentences():
    text = ("FINDINGS:\nScattered fibroglandular tissue.\nA mass in the right breast.\n"
            "No calcifications in the left breast.\nRIGHT BREAST:\n- An oval mass.\n\n"
            "IMPRESSION:\nBilateral benign findings.\nRECOMMENDATION:\nFollow-up in 6 months.")
    parts = split_report_by_side(text)
    assert parts["R"] == ("Scattered fibroglandular tissue. A mass in the right breast. "
                          "RIGHT BREAST: An oval mass. Bilateral benign findings.")
    assert parts["L"] == ("Scattered fibroglandular tissue. No calcifications in the left "
                          "breast. Bilateral benign findings.")


def test_sentence_augmentation_is_seeded_and_never_empty():
    text = "One. Two. Three. Four. Five."
    a = augment_sentences(text, np.random.default_rng(0), drop_prob=0.5)
    b = augment_sentences(text, np.random.default_rng(0), drop_prob=0.5)
    assert a == b
    outs = {augment_sentences(text, np.random.default_rng(s), drop_prob=0.5) for s in range(20)}
    assert len(outs) > 5
    assert all(set(split_sentences(o)) <= set(split_sentences(text)) and o for o in outs)
    assert augment_sentences("Only.", np.random.default_rng(1), drop_prob=1.0) == "Only."


def test_labels_become_side_specific_text():
    pos = labels_to_text({"mass": 1.0, "composition_class": 3.0, "birads_class": 4.0}, "L", 0)
    neg = labels_to_text({"mass": 0.0, "composition_class": 3.0, "birads_class": 1.0}, "L", 0)
    assert pos and neg and pos != neg
    right = [s for s in lexicon.synonyms("laterality", "R") if len(s) > 1] + ["right"]
    assert not any(f" {w} " in f" {pos.lower()} " for w in right)
    assert labels_to_text({"mass": math.nan}, "R") == ""
