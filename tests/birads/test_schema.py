import pytest
from pydantic import ValidationError

from mammofm.birads import (
    Assessment, Breast, Exam, Finding, FindingKind, Laterality, Location, Quadrant,
    combine_assessments, exam_labels, lexicon, quadrant_from_clock,
)


def _exam() -> Exam:
    return Exam(
        study_id="S1", patient_id="P1", exam_date="2024-03-01", indication="screening",
        breasts={
            "L": Breast(composition="c", assessment="4B", findings=[
                Finding(kind="mass", shape="irregular", margin="spiculated", density="high",
                        location=Location(quadrant="UOQ", clock=1.5, depth="middle",
                                          distance_from_nipple_cm=6),
                        size_mm=14, views=["CC", "MLO"], pathology="malignant"),
                Finding(kind="calcification", morphology="fine_pleomorphic",
                        distribution="grouped", certainty="uncertain"),
            ]),
            "R": Breast(composition="c", assessment="1",
                        findings=[Finding(kind="architectural_distortion", certainty="negated")]),
        },
        recommendations=["biopsy"],
    )


def test_json_round_trip_is_identity():
    ex = _exam()
    back = Exam.from_json(ex.to_json())
    assert back == ex
    assert back.breasts[Laterality.L].findings[0].location.clock == 1.5


def test_margin_on_calcification_rejected_with_field_named():
    with pytest.raises(ValidationError, match="calcification finding cannot have a margin"):
        Finding(kind="calcification", margin="spiculated")


def test_unknown_term_rejected():
    with pytest.raises(ValidationError):
        Finding(kind="mass", shape="starry")


@pytest.mark.parametrize("lat,clock,quadrant", [
    ("R", 10, "UOQ"), ("R", 2, "UIQ"), ("R", 4, "LIQ"), ("R", 7.5, "LOQ"),
    ("L", 2, "UOQ"), ("L", 10, "UIQ"), ("L", 4, "LOQ"), ("L", 7, "LIQ"),
    ("R", 9, "outer_central"), ("L", 9, "inner_central"), ("L", 12, "upper_central"),
])
def test_clock_to_quadrant_follows_laterality(lat, clock, quadrant):
    assert quadrant_from_clock(lat, clock) == Quadrant(quadrant)


def test_clock_quadrant_conflict_rejected():
    with pytest.raises(ValidationError, match="10 o'clock lies in the UOQ of the right breast"):
        Exam(breasts={"R": Breast(findings=[
            Finding(kind="mass", location=Location(quadrant="UIQ", clock=10))])})
    # on an axis either neighbour is fine
    Exam(breasts={"R": Breast(findings=[
        Finding(kind="mass", location=Location(quadrant="UIQ", clock=12))])})


def test_overall_assessment_uses_acr_hierarchy():
    assert combine_assessments(["1", "3", "0"]) == Assessment.c0
    assert combine_assessments(["2", "4A"]) == Assessment.c4A
    assert combine_assessments(["6", "3"]) == Assessment.c6
    assert _exam().derived_overall_assessment() == Assessment.c4B


def test_labels():
    labs = exam_labels(_exam())
    left, right = labs["L"], labs["R"]
    assert (left.mass, left.calcification, left.suspicious_calcification) == (1, 1, 1)
    assert left.malignant == 1 and left.birads == "4B" and left.composition_class == 2
    assert right.architectural_distortion == 0 and right.malignant == 0
    strict = exam_labels(_exam(), uncertain_as_positive=False)["L"]
    assert strict.calcification == 0


def test_lexicon_normalises_synonyms_and_legacy_terms():
    assert lexicon.normalize("margin", "Ill-defined") == "indistinct"
    assert lexicon.normalize("distribution", "clustered") == "grouped"
    assert lexicon.normalize("composition", "heterogeneously dense") == "c"
    assert lexicon.normalize("shape", "lobulated") == "oval"
    assert lexicon.normalize("margin", "moderately dense") is None
    assert lexicon.phrase("kind", FindingKind.architectural_distortion) == "architectural distortion"
    assert "pleomorphic" in lexicon.synonyms("morphology", "fine_pleomorphic")
    assert "pleomorphic" not in lexicon.synonyms("morphology", "fine_pleomorphic", legacy=False)


def test_lexicon_reads_report_shorthand_without_emitting_it():
    """Plurals and shorthand of real reports are legacy wordings: read, never written."""
    assert lexicon.normalize("kind", "Nodules") == "mass"
    assert lexicon.normalize("recommendation", "RTN 1Y") == "routine_screening"
    assert lexicon.normalize("recommendation", "core biopsy") == "biopsy"
    assert lexicon.normalize("distribution", "group of") == "grouped"
    assert lexicon.normalize("stability", "no interval change") == "stable"
    assert lexicon.normalize("indication", "symptomatic") == "diagnostic"
    assert "rtn 1y" not in lexicon.synonyms("recommendation", "routine_screening", legacy=False)
    assert "nodules" in lexicon.synonyms("kind", "mass")


def test_no_wording_means_two_values_of_one_field():
    for name in lexicon.fields():
        seen: dict[str, str] = {}
        for t in lexicon.terms(name):
            for form in t.surface_forms:
                key = form.lower()
                assert seen.setdefault(key, t.value) == t.value, (name, form, seen[key], t.value)


def test_without_evidence_drops_spans_only():
    ex = _exam()
    ex.breasts[Laterality.L].findings[0].evidence["kind"] = (3, 7)
    assert ex != _exam()
    assert ex.without_evidence() == _exam()


def test_undescribed_breast_has_unknown_labels():
    ex = Exam(study_id="S2", breasts={"L": Breast(assessment="1")})
    right = exam_labels(ex)["R"]
    assert right.mass is None and right.malignant is None and right.birads is None
    assert exam_labels(ex)["L"].mass == 0 and exam_labels(ex)["L"].malignant == 0
