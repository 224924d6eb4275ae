"""Closed visual questions generated from Exam records, one set per breast.

Question types: is there a mass / are there calcifications in this breast (yes, no); what is
the breast composition (a-d); which quadrant holds the mass (asked only of breasts with a
located mass); which assessment category is this breast. Words that are BI-RADS terms come
from ``mammofm.birads.lexicon``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mammofm.birads import Exam, FindingKind, Laterality, lexicon, quadrant_from_clock

QUESTION_TYPES: tuple[str, ...] = ("mass", "calcification", "composition", "quadrant", "birads")
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Question:
    study_id: str
    laterality: str
    qtype: str
    text: str
    answer: str


def _side(lat: Laterality) -> str:
    return lexicon.phrase("laterality", lat)


def mass_quadrant(exam: Exam, lat: Laterality) -> str | None:
    """The quadrant of the first positive, located mass of a breast (from its clock face when
    only that is stated), else None."""
    for f in exam.breast(lat).positive_findings(FindingKind.mass):
        if f.location.quadrant is not None:
            return f.location.quadrant.value
        if f.location.clock is not None:
            return quadrant_from_clock(lat, f.location.clock).value
    return None


def exam_questions(exam: Exam) -> list[Question]:
    """Every closed question one Exam answers, for both breasts."""
    out: list[Question] = []
    sid = str(exam.study_id)
    mass_word = lexicon.phrase("kind", FindingKind.mass)
    calc_word = lexicon.phrase("kind", FindingKind.calcification)
    for lat in (Laterality.L, Laterality.R):
        if lat not in exam.breasts:
            continue
        breast = exam.breast(lat)
        side = _side(lat)

        def ask(qtype: str, text: str, answer: str) -> None:
            out.append(Question(sid, lat.value, qtype, text, answer))

        ask("mass", f"Is there a {mass_word} in the {side} breast?",
            YES if breast.positive_findings(FindingKind.mass) else NO)
        ask("calcification", f"Are there {calc_word} in the {side} breast?",
            YES if breast.positive_findings(FindingKind.calcification) else NO)
        if breast.composition is not None:
            ask("composition", f"What is the composition of the {side} breast?",
                breast.composition.value)
        quadrant = mass_quadrant(exam, lat)
        if quadrant is not None:
            ask("quadrant", f"Which quadrant of the {side} breast holds the {mass_word}?",
                quadrant)
        if breast.assessment is not None:
            ask("birads", f"Which assessment category fits the {side} breast?",
                breast.assessment.value)
    return out


def cohort_questions(exams: dict[str, Exam]) -> list[Question]:
    return [q for ex in exams.values() for q in exam_questions(ex)]
