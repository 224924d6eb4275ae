"""The parser traps of shared/DATA.md, one case each (categories, density, grades that are not
BI-RADS, several categories, clock faces, distances, quadrants, negation and time, quirks)."""

from __future__ import annotations

import pytest

from mammofm.reports import parse


def _overall(text: str) -> str | None:
    a = parse(text).derived_overall_assessment()
    return a.value if a else None


@pytest.mark.parametrize("text, want", [
    ("BIRADS Classification 0 - Incomplete", "0"),
    ("BI-RADS CATEGORY M/5", "5"),
    ("Spiculated mass. Bi-RADS 5, biopsy.", "5"),
    ("Impression: Category 4B: suspicious calcifications.", "4B"),
    ("Focal asymmetry. BI-RASDS 0", "0"),
    ("Spiculated mass. Birads V", "5"),
    ("Benign findings. BIRADS III", "3"),
    ("Calcifications, BIRADS IVb", "4B"),
    ("BI-RADS 4a", "4A"),
    ("Category 4: Suspicious", "4"),
    ("BIRADS: 2 - Benign", "2"),
    ("ACR BI-RADS 3, probably benign.", "3"),
    ("Birads I or II or zero ? to be discussed", None),
    ("Her prior mammogram was BI-RADS 1. New spiculated mass, BI-RADS 5.", "5"),
    ("Screening: BI-RADS 0. Diagnostic work-up: BI-RADS 4B.", "4B"),
    ("Mammogram: BI-RADS 3. Ultrasound: BI-RADS 4.", "4"),
    ("If stable this would be BI-RADS 2; if new, BI-RADS 4. Assessment: BI-RADS 3.", "3"),
    ("Mass: BI-RADS 4A. Calcifications: BI-RADS 2. Overall BI-RADS 4A.", "4A"),
])
def test_category_wordings(text: str, want: str | None) -> None:
    assert _overall(text) == want


@pytest.mark.parametrize("text", [
    "Histology B5b, invasive carcinoma, grade SBR 2. Mammographic grade M3. Ultrasound U4.",
    "AI score 8/10. Tyrer-Cuzick lifetime risk 22%. Density software: category A.",
    "Mammography has a false-negative rate of 10-15%.",
])
def test_grades_that_are_not_birads(text: str) -> None:
    ex = parse(text + " No suspicious mass.")
    assert ex.overall_assessment is None and ex.derived_overall_assessment() is None
    assert all(b.composition is None for b in ex.breasts.values())


@pytest.mark.parametrize("text, want", [
    ("BIRADS C parenchymal density. No mass.", "c"),
    ("ACR-1: almost entirely fatty (0-25%). No mass.", "a"),
    ("Glandular tissue 51-75% of the breast. No mass.", "c"),
    ("Density: [ ] A  [x] B  [ ] C  [ ] D", "b"),
    ("The breasts are a mixture of adipose and fibroglandular elements. No mass.", None),
    ("The breasts are moderately dense. No mass.", None),
])
def test_density_wordings(text: str, want: str | None) -> None:
    ex = parse(text)
    got = {b.composition.value if b.composition else None for b in ex.breasts.values()}
    assert got == {want}
    assert ex.overall_assessment is None  # letters and "ACR-1" are density, not categories


@pytest.mark.parametrize("text, clock", [
    ("Mass in the right breast at 11:30.", 11.5),
    ("Mass in the right breast at 6:00 o'clock.", 6.0),
    ("Mass in the right breast at 9.30, 8 mm.", 9.5),
    ("Mass in the right breast at 3 0'clock.", 3.0),
    ("Calcifications in the right breast from 6 to 7 o'clock.", 6.5),
    ("Mass in the right breast at 10 o\u2019clock.", 10.0),
    ("Mass in the right breast at 12:30.", 0.5),
])
def test_clock_faces(text: str, clock: float) -> None:
    f = parse(text).breast("R").findings[0]
    assert f.location.clock == clock


def test_lt2h_shorthand_gives_side_and_clock() -> None:
    f = parse("Ultrasound: Lt2H N+5.5 cm: 12 x 8 mm irregular hypoechoic mass.").breast("L").findings[0]
    assert (f.location.clock, f.location.distance_from_nipple_cm, f.size_mm) == (2.0, 5.5, 12.0)


@pytest.mark.parametrize("text, dist, size", [
    ("Mass in the left breast 7 cm from the nipple, 9 mm.", 7.0, 9.0),
    ("Mass in the left breast, 9 centimeters FN, 6 mm.", 9.0, 6.0),
    ("Mass in the left breast 2 cm cranial to the nipple, 1 cm deep to the skin, 6 mm.", None, 6.0),
])
def test_distances_are_not_sizes(text: str, dist: float | None, size: float) -> None:
    f = parse(text).breast("L").findings[0]
    assert f.location.distance_from_nipple_cm == dist and f.size_mm == size


@pytest.mark.parametrize("text, quadrant", [
    ("Mass in the right breast, upper lateral.", "UOQ"),
    ("Mass in the right breast, outer-superior region.", "UOQ"),
    ("Calcifications in the left breast, upper central.", "upper_central"),
    ("Mass in the left retroareolar region.", "retroareolar"),
    ("Mass in the right breast at 1 o'clock, upper inner quadrant.", "UIQ"),
])
def test_quadrant_wordings(text: str, quadrant: str) -> None:
    ex = parse(text)
    f = next(f for b in ex.breasts.values() for f in b.findings)
    assert f.location.quadrant.value == quadrant


def test_contradictory_quadrant_gives_way_to_the_clock_face() -> None:
    f = parse("Mass in the right breast at 1 o'clock, upper outer quadrant.").breast("R").findings[0]
    assert f.location.clock == 1.0 and f.location.quadrant is None


@pytest.mark.parametrize("text, kind, side, certainty", [
    ("No suspicious masses, calcifications or architectural distortion.", "calcification", "L", "negated"),
    ("A mass in the left breast cannot be excluded.", "mass", "L", "uncertain"),
    ("Questionable asymmetry in the right breast.", "asymmetry", "R", "uncertain"),
    ("Possible distortion in the right breast.", "architectural_distortion", "R", "uncertain"),
    ("There is a 1 cm mass in the left breast. It is not palpable.", "mass", "L", "present"),
    ("Known post-surgical distortion in the right breast, stable. No new mass.", "architectural_distortion", "R", "present"),
    ("Known post-surgical distortion in the right breast, stable. No new mass.", "mass", "R", "negated"),
    ("[ ] Mass: NONE", "mass", "R", "negated"),
    ("The previously seen asymmetry in the left breast has resolved.", "asymmetry", "L", "negated"),
])
def test_negation_and_uncertainty_scope(text: str, kind: str, side: str, certainty: str) -> None:
    fs = [f for f in parse(text).breast(side).findings if f.kind.value == kind]
    assert fs and fs[0].certainty.value == certainty


def test_history_of_cancer_in_the_other_breast_is_not_a_finding() -> None:
    ex = parse("History: right breast cancer, status post right mastectomy.\n"
               "LEFT SCREENING MAMMOGRAM\nFINDINGS: No suspicious mass in the left breast.\n"
               "IMPRESSION: BI-RADS 1.")
    assert all(not f.is_positive for b in ex.breasts.values() for f in b.findings)


def test_previously_biopsied_and_prior_exam_findings() -> None:
    ex = parse("Biopsy clip in the left breast at 2 o'clock at the site of a previously "
               "biopsied mass, unchanged. BI-RADS 2.")
    f = ex.breast("L").findings[0]
    assert f.previously_biopsied and f.stability.value == "stable" and ex.comparison.compared


def test_text_quirks() -> None:
    ex = parse("EXAM: MAMMO SCREENING, COMPARISON: 11/15/2022, FINDINGS: scattered areas of "
               "fibroglandular density, there is a 5 mm oval mass in the left breast, "
               "IMPRESSION: BI-RADS 0, recommend ultrasound.")
    assert ex.comparison.prior_date.isoformat() == "2022-11-15"
    assert ex.breast("L").findings[0].size_mm == 5 and ex.overall_assessment.value == "0"
    dup = parse("Grouped amorphous calcifications in the left breast.\n"
                "Grouped amorphous calcifications in the left breast.\nBI-RADS 4B.")
    assert len(dup.breast("L").findings) == 1
    placeholders = parse("Exam date: mm/dd/yy. Comparison: mm/dd/yy. No mass (see image 3, "
                         "Fig. 2). BI-RADS 1.")
    assert placeholders.exam_date is None and placeholders.overall_assessment.value == "1"


def test_male_patient_has_no_density() -> None:
    ex = parse("Diagnostic mammogram (male). 64-year-old man. Gynecomastia on the left. The "
               "right breast shows fatty tissue only. BI-RADS 2.")
    assert all(b.composition is None for b in ex.breasts.values())


@pytest.mark.parametrize("text, placement, rupture", [
    ("Bilateral retropectoral silicone implants, intact. No evidence of rupture.", "subpectoral", False),
    ("Left subglandular silicone implant with intracapsular rupture.", "subglandular", True),
])
def test_implant_wordings(text: str, placement: str, rupture: bool) -> None:
    f = next(f for f in parse(text).breast("L").findings if f.kind.value == "implant")
    assert f.implant_position.value == placement and f.implant_rupture is rupture
