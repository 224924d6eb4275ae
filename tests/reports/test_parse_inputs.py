"""Bad, odd and huge inputs: a clear result, never a crash, in bounded time."""

from __future__ import annotations

import time

import pytest

from mammofm.reports import parse
from mammofm.reports.textprep import MAX_CHARS

REPORT = ("BILATERAL SCREENING MAMMOGRAM\nThe breasts are heterogeneously dense.\n"
          "There is a 7 mm oval circumscribed mass in the right breast at 10 o'clock.\n"
          "No suspicious calcifications.\nIMPRESSION: BI-RADS 3. Six month follow-up.\n")


@pytest.mark.parametrize("text, reason", [
    ("", "empty"),
    ("   \n\t  ", "empty"),
    ("Mamografía bilateral de cribado. Mamas heterogéneamente densas, sin nódulos ni "
     "microcalcificaciones sospechosas. Categoría BI-RADS 1.", "not English"),
    ("Beidseitige Mammographie. Drüsenkörper mäßig dicht, keine suspekten Herdbefunde, "
     "keine Mikroverkalkungen.", "not English"),
    ("双侧乳腺X线摄影检查，未见明显肿块及可疑钙化。", "not English"),
    ("<html><head><style>p{color:red}</style></head><body><div></div></body></html>",
     "HTML"),
    ("Patient called to reschedule her appointment for next week.", "no mammography"),
])
def test_unreadable_texts_give_an_empty_record_with_a_reason(text: str, reason: str) -> None:
    ex = parse(text)
    assert ex.empty_reason is not None and reason.lower() in ex.empty_reason.lower()
    assert ex.breasts == {} and ex.overall_assessment is None


def test_non_text_input_is_reported_not_raised() -> None:
    ex = parse(None)  # type: ignore[arg-type]
    assert ex.empty_reason and "not text" in ex.empty_reason


def test_html_report_is_read_with_spans_into_the_source() -> None:
    html = ("<p><b>FINDINGS:</b> There is a 9&nbsp;mm spiculated mass in the left breast at "
            "2 o&#39;clock.<br>IMPRESSION: BI-RADS 5.</p>")
    ex = parse(html)
    assert ex.empty_reason is None
    f = ex.breast("L").findings[0]
    assert f.margin.value == "spiculated" and f.size_mm == 9 and f.location.clock == 2
    s, e = f.evidence["margin"]
    assert html[s:e].lower() == "spiculated"
    s, e = f.evidence["clock"]
    assert html[s:e].startswith("2 o&#39;clock")
    assert ex.overall_assessment.value == "5"


def test_megabyte_input_is_refused_quickly() -> None:
    big = REPORT * (1_100_000 // len(REPORT))
    assert len(big) > MAX_CHARS
    t = time.perf_counter()
    ex = parse(big)
    assert time.perf_counter() - t < 2.0
    assert ex.empty_reason and "limit" in ex.empty_reason


def test_long_report_under_the_limit_parses_in_bounded_time() -> None:
    text = REPORT * (90_000 // len(REPORT))
    t = time.perf_counter()
    ex = parse(text)
    assert time.perf_counter() - t < 20.0  # generous: a loaded 2-core machine
    assert ex.empty_reason is None and ex.overall_assessment.value == "3"
    assert len(ex.breast("R").findings) >= 1


def test_garbage_and_binary_like_text_does_not_crash() -> None:
    for text in ("\x00\x01\x02" * 50, "::::;;;;....\n\n\n", "BI-RADS" * 500, "9" * 5000,
                 "mass " * 3000, "o'clock 12:30 5 cm FN N+ 3x4x5 mm " * 200):
        ex = parse(text)
        assert ex is not None


def test_pathological_long_sentences_stay_linear() -> None:
    """A 95,000-character run-on "sentence" of finding words is cut into bounded pieces."""
    for text in ("mass " * 19_000, "no mass, calcification or distortion, " * 2_500):
        t = time.perf_counter()
        ex = parse(text)
        assert time.perf_counter() - t < 15.0  # generous for a loaded 2-core machine
        assert ex.empty_reason is None
