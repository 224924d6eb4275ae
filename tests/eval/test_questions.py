"""VQA questions generated from a hand-built Exam."""

from __future__ import annotations

from mammofm.birads import (Assessment, Breast, Certainty, Composition, Exam, Finding,
                            FindingKind, Laterality, Location)
from mammofm.eval.questions import exam_questions, mass_quadrant


def test_questions_and_answers() -> None:
    exam = Exam(study_id="S1", breasts={
        Laterality.L: Breast(composition=Composition.c, assessment=Assessment.c4B, findings=[
            Finding(kind=FindingKind.mass, location=Location(clock=2.0))]),
        Laterality.R: Breast(composition=Composition.c, assessment=Assessment.c1, findings=[
            Finding(kind=FindingKind.mass, certainty=Certainty.negated)]),
    })
    qs = {(q.laterality, q.qtype): q for q in exam_questions(exam)}
    assert qs[("L", "mass")].answer == "yes"
    assert qs[("R", "mass")].answer == "no"  # a negated mass is no mass
    assert "left" in qs[("L", "mass")].text and "right" in qs[("R", "mass")].text
    assert qs[("L", "composition")].answer == "c"
    assert qs[("L", "quadrant")].answer == "UOQ"  # 2 o'clock in the left breast
    assert ("R", "quadrant") not in qs  # nothing located to ask about
    assert qs[("L", "birads")].answer == "4B"
    assert qs[("L", "calcification")].answer == "no"
    assert mass_quadrant(exam, Laterality.R) is None
