"""write(exam) then parse gives back the same record for thousands of random exams."""

from __future__ import annotations

import numpy as np
import pytest

from mammofm.birads import Exam
from mammofm.reports import STYLES, parse, random_exam, write
from mammofm.reports.metrics import GROUPS, differences, field_scores

N_EXAMS = 2000  # each written in one style (cycling through all of them)


@pytest.mark.slow
def test_round_trip_every_field_group() -> None:
    refs, preds, failures = [], [], []
    styles = sorted(STYLES)
    for i in range(N_EXAMS):
        ex = random_exam(np.random.default_rng([2026, i]))
        style = styles[i % len(styles)]
        text = write(ex, style, seed=i)
        got = parse(text)
        refs.append(ex)
        preds.append(got)
        if len(failures) < 3 and differences(got, ex):
            failures.append((style, text, differences(got, ex)))
    scores = field_scores(preds, refs)
    low = {g: round(scores[g].f1, 4) for g in GROUPS if scores[g].f1 < 0.99}
    assert not low, f"field F1 below 0.99: {low}; first failures: {failures}"
    assert scores["all"].tp > 10 * len(refs)  # the records carry real content


def test_round_trip_records_are_schema_valid_and_keep_dates() -> None:
    for i in range(60):
        ex = random_exam(np.random.default_rng([99, i]))
        got = parse(write(ex, "default", seed=i))
        assert Exam.model_validate_json(got.model_dump_json()) == got
        assert got.exam_date == ex.exam_date
        assert got.indication == ex.indication


@pytest.mark.parametrize("name", ["upper", "flattened", "crlf", "html"])
def test_round_trip_survives_text_mangling(name: str) -> None:
    """The same reports in capitals, with line breaks flattened into commas, with CRLF line
    ends and wrapped in HTML still read back (the quirks real archives add)."""
    import re

    mangle = {"upper": str.upper, "flattened": lambda t: re.sub(r"\n+", ", ", t),
              "crlf": lambda t: t.replace("\n", "\r\n"),
              "html": lambda t: "<p>" + t.replace("\n", "<br/>").replace("'", "&#39;") + "</p>"}[name]
    styles = sorted(STYLES)
    refs = [random_exam(np.random.default_rng([31, i])) for i in range(100)]
    preds = [parse(mangle(write(ex, styles[i % len(styles)], seed=i))) for i, ex in enumerate(refs)]
    scores = field_scores(preds, refs)
    assert scores["all"].f1 >= 0.99, {g: round(scores[g].f1, 3) for g in GROUPS}
