"""Report metrics against reference implementations and hand-worked cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mammofm.birads import Breast, Exam, Finding
from mammofm.reports import STYLES, random_exam, write
from mammofm.reports.metrics import (
    ClinicalScorer,
    all_scores,
    cider_d,
    clinical_efficacy,
    mammorg_scores,
    meteor,
    nlg_scores,
    rouge_l,
    tokenize,
)
from mammofm.reports.metrics.clinical import _Counts

SENTS = [
    ("there is a 12 mm oval mass in the right breast", ["a 12 mm oval mass is seen in the right breast"]),
    ("no suspicious calcifications", ["no suspicious masses or calcifications",
                                       "there are no suspicious calcifications"]),
    ("bi rads 2 benign", ["bi rads 1 negative"]),
    ("grouped amorphous calcifications left breast", ["grouped fine pleomorphic calcifications in the left breast"]),
    ("the breasts are extremely dense", ["the breasts are heterogeneously dense"]),
]


def test_cider_d_matches_coco_caption_reference() -> None:
    cider = pytest.importorskip("pycocoevalcap.cider.cider")
    gts = {i: refs for i, (_, refs) in enumerate(SENTS)}
    res = {i: [h] for i, (h, _) in enumerate(SENTS)}
    want, want_each = cider.Cider().compute_score(gts, res)
    got, got_each = cider_d([h for h, _ in SENTS], [r for _, r in SENTS])
    assert got == pytest.approx(want, rel=1e-9)
    assert got_each == pytest.approx(list(want_each), rel=1e-9)


def test_cider_d_rewards_the_right_report() -> None:
    refs = [r[0] for _, r in SENTS]
    right = cider_d(refs, refs)[0]
    shuffled = cider_d(refs[1:] + refs[:1], refs)[0]
    assert right > 5 * max(shuffled, 1e-6) and right > 1.0


def test_text_metrics_order_good_and_bad_generations() -> None:
    refs = [write(random_exam(np.random.default_rng(i)), "default", seed=i) for i in range(8)]
    same = nlg_scores(refs, refs)
    other_style = [write(random_exam(np.random.default_rng(i)), "narrative", seed=i) for i in range(8)]
    wrong = [write(random_exam(np.random.default_rng(100 + i)), "default", seed=i) for i in range(8)]
    good, bad = nlg_scores(other_style, refs), nlg_scores(wrong, refs)
    for k in ("bleu1", "bleu4", "rouge_l", "meteor", "cider_d"):
        assert same[k] >= good[k] - 1e-9, k
    for k in ("bleu4", "rouge_l", "cider_d"):
        assert good[k] > bad[k], k
    assert same["bleu4"] == pytest.approx(1.0) and same["rouge_l"] == pytest.approx(1.0)


def test_meteor_credits_stems_but_not_synonyms() -> None:
    ref = ["grouped calcifications in the left breast"]
    stem = meteor(["grouped calcification in the left breast"], ref)
    unrelated = meteor(["clustered microcalcifications within this left side"], ref)
    assert stem > 0.9 and unrelated < 0.5
    assert meteor(ref, ref) > 0.99
    assert rouge_l(ref, ref) == pytest.approx(1.0)
    assert tokenize("BI-RADS 4A, 1.2 cm.") == ["bi", "rads", "4a", "1.2", "cm"]


def _exam(R=None, L=None, comp=None, findings_R=(), findings_L=()) -> Exam:
    return Exam(breasts={"R": Breast(assessment=R, composition=comp, findings=list(findings_R)),
                         "L": Breast(assessment=L, composition=comp, findings=list(findings_L))})


def test_mammorg_definitions_by_hand() -> None:
    mass = Finding(kind="mass", margin="spiculated", location={"quadrant": "UOQ"})
    calc = Finding(kind="calcification")
    ref1 = _exam(R="4A", L="1", comp="b", findings_R=[mass])
    pred1 = _exam(R="4A", L=None, comp="c", findings_R=[Finding(kind="mass", margin="spiculated")])
    ref2 = _exam(R="2", L="2", comp="b", findings_L=[calc])
    pred2 = _exam(R="2", L="2", comp="b", findings_L=[calc], findings_R=[calc])
    s = mammorg_scores([(pred1, ref1), (pred2, ref2)])
    # BI-RADS: breasts with a reference value: 4A/4A, 1/not mentioned, 2/2, 2/2
    # macro-F1 over {1, 2, 4A} = (0 + 1 + 1) / 3; 3 of 4 breasts mentioned
    assert s["birads_f1"] == pytest.approx((2 / 3) * 0.75)
    # composition: b/c, b/c, b/b, b/b -> F1(b) = 2*2/(4+2) = 2/3; all mentioned
    assert s["composition_f1"] == pytest.approx(2 / 3)
    # findings: report 1 {R mass} vs {R mass} = 1; report 2 {L calc, R calc} vs {L calc} = 2/3
    assert s["finding_f1"] == pytest.approx((1 + 2 / 3) / 2)
    # relations: report 1 ref {modified_by spiculated, located_at UOQ}, pred {spiculated} -> 2/3;
    # report 2: no relations on either side -> 1
    assert s["relation_f1"] == pytest.approx((2 / 3 + 1) / 2)


def _degrade(ex: Exam, rng: np.random.Generator) -> Exam:
    data = ex.model_dump()
    for b in data["breasts"].values():
        if rng.random() < 0.4:
            b["assessment"] = None
        if rng.random() < 0.3:
            b["findings"] = b["findings"][1:]
        if rng.random() < 0.3:
            b["composition"] = "d"
    return Exam.model_validate(data)


def test_bootstrap_counts_reproduce_the_scikit_learn_figures() -> None:
    rng = np.random.default_rng(3)
    refs = [random_exam(np.random.default_rng([5, i])) for i in range(40)]
    pairs = [(_degrade(r, rng), r) for r in refs]
    want = all_scores(pairs)
    got = _Counts(pairs).scores(np.ones(len(pairs)))
    assert set(want) <= set(got)
    for k, v in want.items():
        assert (math.isnan(v) and math.isnan(got[k])) or got[k] == pytest.approx(v), k


def test_clinical_efficacy_through_the_parser_with_cis() -> None:
    refs = [random_exam(np.random.default_rng([8, i])) for i in range(30)]
    ref_texts = [write(r, "default", seed=i) for i, r in enumerate(refs)]
    perfect = clinical_efficacy([write(r, "terse", seed=i) for i, r in enumerate(refs)],
                                ref_texts, n_boot=200, seed=1)
    rng = np.random.default_rng(0)
    worse = clinical_efficacy([write(_degrade(r, rng), "default", seed=i)
                               for i, r in enumerate(refs)], ref_texts, n_boot=200, seed=1)
    for k in ("birads_f1", "composition_f1", "finding_f1", "micro_f1"):
        assert perfect[k]["value"] > 0.97, (k, perfect[k])
        assert worse[k]["value"] < perfect[k]["value"], k
        assert worse[k]["ci_low"] <= worse[k]["value"] <= worse[k]["ci_high"], k
    again = clinical_efficacy([write(_degrade(r, np.random.default_rng(0)), "default", seed=i)
                               for i, r in enumerate(refs)][:0] or ref_texts, ref_texts, n_boot=50)
    assert again["micro_f1"]["value"] == pytest.approx(1.0)


def test_scorer_accumulates_and_resets() -> None:
    refs = [write(random_exam(np.random.default_rng(i)), s, seed=i)
            for i, s in zip(range(6), list(STYLES) * 2)]
    sc = ClinicalScorer(n_boot=20)
    sc.update(refs[:3], refs[:3])
    sc.update(refs[3:], refs[3:])
    assert len(sc) == 6 and sc.aggregate()["finding_f1"]["value"] == pytest.approx(1.0)
    sc.reset()
    assert len(sc) == 0
    with pytest.raises(ValueError, match="2 generated reports but 1"):
        sc.update(refs[:2], refs[:1])
