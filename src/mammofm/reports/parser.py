"""Free-text mammography report -> BI-RADS ``Exam`` record, every field with its evidence span.

A compact rule engine rather than a spaCy/medspaCy pipeline: one vocabulary pass (a trie
regex over the lexicon's wordings), one pass of ConText-style cues, a few numeric patterns,
then assembly sentence by sentence. ``benchmarks/parse.py`` measures it against spaCy +
negspaCy (NegEx) on the same corpus: the rule engine reads the whole record at about the
speed negspaCy needs for finding kinds and negation alone, and is far more accurate on
mammography's negated lists and side-less statements (see the benchmark's table).

Conventions the parser follows where a report leaves things implicit (the gold corpus in
``tests/reports/corpus`` is labelled the same way):
- A statement without a side covers every breast of the exam, unless its paragraph has so
  far spoken of one breast only (then it is that breast's).
- Findings are read from findings and impression sections, not from the exam title, history,
  technique or recommendation; an impression restating a finding merges into it.
- Clock faces, quadrants and distances are what the text says (no quadrant is derived from a
  clock face; a contradictory quadrant is dropped in favour of the clock face).
- Overall category: the one marked overall/final, else the most worrisome current one.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from mammofm.birads import Exam, Finding

from . import categories
from .parse_collect import collect
from .parse_fields import (
    read_age,
    read_comparison,
    read_composition,
    read_exam_date,
    read_indication,
    read_recommendations,
)
from .parse_findings import build_finding, read_findings
from .parse_state import Report
from .textprep import empty_reason, language_reason, prepare


__all__ = ["parse"]


_NO_CONTENT = "no mammography findings, categories or recommendations found in the text"


def _empty(reason: str) -> Exam:
    return Exam(empty_reason=reason)


def _validated(data: dict[str, Any]) -> Exam:
    """The record, validated; a finding the schema rejects is dropped rather than the report."""
    try:
        return Exam.model_validate(data)
    except ValidationError:
        for breast in data["breasts"].values():
            ok = []
            for f in breast["findings"]:
                try:
                    Finding.model_validate(f)
                    ok.append(f)
                except ValidationError:
                    continue
            breast["findings"] = ok
        try:
            return Exam.model_validate(data)
        except ValidationError as err:  # pragma: no cover - the parser builds valid values
            return Exam(empty_reason=f"the parsed record failed validation: {err.errors()[0]['msg']}")


def parse(text: str) -> Exam:
    """Read one free-text mammography report into an ``Exam`` record.

    Never raises on bad input: an empty, non-English, HTML-only or over-long text gives an
    empty record whose ``empty_reason`` says why. The record is validated against the schema.
    """
    reason = empty_reason(text)
    if reason:
        return _empty(reason)
    p = prepare(text)
    if not p.text.strip():
        return _empty("no text left after removing HTML markup")
    r = Report(p)
    cats = collect(r)
    n_terms = sum(map(len, r.items))
    if not p.low.isascii() or n_terms * 80 < len(p.low):  # few terms: check the language
        reason = language_reason(p)
        if reason:
            return _empty(reason)
    found = read_findings(r)
    comp = read_composition(r)
    per, overall = categories.choose(cats, r.scope)
    recs = read_recommendations(r)
    comparison, _ = read_comparison(r, found)
    indication = read_indication(r)
    age = read_age(r)
    exam_date = read_exam_date(r)

    sides = set(r.scope) | {f.side for f in found} | set(comp) | set(per)
    breasts: dict[str, dict[str, Any]] = {}
    for side in ("R", "L"):
        if side not in sides:
            continue
        bev: dict[str, tuple[int, int]] = {}
        bkw: dict[str, Any] = {}
        if side in comp:
            bkw["composition"] = comp[side][0]
            bev["composition"] = r.span(*comp[side][1])
        if side in per:
            bkw["assessment"] = per[side][0]
            bev["assessment"] = r.span(per[side][1].start, per[side][1].end)
        bkw["findings"] = [build_finding(r, f) for f in found if f.side == side]
        bkw["evidence"] = bev
        breasts[side] = bkw
    ev: dict[str, tuple[int, int]] = {}
    kw: dict[str, Any] = {"breasts": breasts}
    if overall is not None:
        kw["overall_assessment"] = overall[0]
        ev["overall_assessment"] = r.span(overall[1].start, overall[1].end)
    if recs:
        kw["recommendations"] = [v for v, _, _ in recs]
        for v, sp, _ in recs:
            ev[f"recommendations.{v}"] = r.span(*sp)
    if comparison is not None:
        kw["comparison"] = comparison
    if indication is not None:
        kw["indication"] = indication[0]
        ev["indication"] = r.span(*indication[1])
    if age is not None:
        kw["patient_age"] = age[0]
        ev["patient_age"] = r.span(*age[1])
    if exam_date is not None:
        kw["exam_date"] = exam_date[0]
        ev["exam_date"] = r.span(*exam_date[1])
    has_content = found or comp or per or overall or recs or comparison is not None
    if not has_content:
        return Exam(empty_reason=_NO_CONTENT, indication=kw.get("indication"))
    kw["evidence"] = ev
    return _validated(kw)
