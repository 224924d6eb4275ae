"""Parser step 3: the exam-level fields: composition, recommendations, comparison, indication,
age, exam date."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from . import cues, vocab
from .parse_findings import in_scope
from .parse_state import CONTINUATION, Found, Report, side_of


_GUARDED_COMPOSITION = re.compile(r"\d|%|^fatty$")


_COMPOSITION_CONTEXT = re.compile(r"glandul|fibroglandular|dens|parenchym|composition|"
                                  r"breast tissue|breasts? (?:is|are)|acr|fatty breasts?(?![a-z])")


_BREASTS_AFTER = re.compile(r"\s+breasts?(?![a-z])")


_COMPARED = re.compile(r"compar|prior|previous")


_FATTY_NOT = re.compile(r"\s+(?:hil|notch|cent|mass|lesion|compon|contain|lymph|node|"
                        r"necrosis|density)")


_LETTER_DENSITY = re.compile(
    r"(?<![a-z])(?:acr|bi\s*-?\s*rads|birads|dens|composition|density(?:\s+(?:category|type|"
    r"grade|pattern))?)\s*(?:category|type|grade|density|composition)?\s*[:\-=]?\s*"
    r"\(?(?P<l>[abcd])\)?(?P<after>\s*(?:[.,;)]|$|parenchymal|density|breast|tissue|\())")


_CHECKBOX = re.compile(r"\[\s*[x\u2713\u2714]\s*\]\s*(?P<l>[abcd])(?![a-z])")


_BARE_LETTER = re.compile(r"^\s*(?:category|type|grade|acr|bi\s*-?\s*rads)?\s*\(?(?P<l>[abcd])"
                          r"\)?\s*[.,;]?\s*$")


_DENSITY_HEADERS = ("density", "dens", "composition", "breast composition", "breast density",
                    "parenchymal pattern")


_DATE_CONTEXT = re.compile(r"date\s+of\s+(?:exam|study|service)|exam(?:ination)?\s+date|"
                           r"study\s+date|(?<![a-z])date\s*:")


_SHORT_REC = re.compile(r"^[\s,.;]*(?:(?:is|are|recommended|advised|suggested|in|one|1|year|"
                        r"mammography|mammogram|mammographic|ultrasound|mri|"
                        r"12|months|the|a|of|and)[\s,.;]*)*$")


_SOFTWARE_HINT = re.compile(r"volpara|quantra|densitas|software|automated|volumetric|vdg")


_DENSITY_HINT = re.compile(r"dens|acr|rads|composition|\[")


#: literal hints, searched once over the whole report (``Report.hinted``): "6 months" needs
#: "month"; every alternative of _COMPARISON_HINT and _DENSITY_HINT is a plain literal
_MONTH_HINT = re.compile("month")


_COMPARISON_HINT = re.compile(r"compar|prior|previous|outside|since|stable|unchanged|baseline|"
                              r"none|n/a|available")


# ---------------------------------------------------------------------------------------------
def read_composition(r: Report) -> dict[str, tuple[str, tuple[int, int]]]:
    out: dict[str, tuple[str, tuple[int, int]]] = {}
    if r.male:
        return out
    hint = r.hinted(_DENSITY_HINT)
    for i, s in enumerate(r.sents):
        if s.section in ("history", "technique", "comparison"):
            continue
        items = [it for it in r.items[i] if it.field == "composition"] \
            if "composition" in r.fields[i] else []
        # whether the sentence holds a density hint (a literal pattern: searching the whole
        # text within the sentence's bounds is searching the sentence); found at most once
        dens = None
        if not items:
            dens = hint[i] and _DENSITY_HINT.search(r.low, s.start, s.end) is not None
            if not dens and s.header not in _DENSITY_HEADERS:
                continue  # nothing here could say the composition
        text = r.low[s.start:s.end]
        if _SOFTWARE_HINT.search(text) and cues.SOFTWARE.search(text):
            continue
        found: tuple[str, int, int] | None = None
        for it in items:
            if _GUARDED_COMPOSITION.search(it.text):
                if not _COMPOSITION_CONTEXT.search(text.replace(it.text, " ")) and \
                        not _BREASTS_AFTER.match(r.low[it.end:it.end + 9]):
                    continue
                if it.text == "fatty" and _FATTY_NOT.match(r.low, it.end):
                    continue
            found = (str(it.value), it.start, it.end)
            break
        if found is None:
            if dens is None:
                dens = hint[i] and _DENSITY_HINT.search(r.low, s.start, s.end) is not None
            m = (_CHECKBOX.search(text) or _LETTER_DENSITY.search(text)) if dens else None
            if m is None and s.header in _DENSITY_HEADERS:
                m = _BARE_LETTER.match(text)
            if m is not None:
                found = (m.group("l"), s.start + m.start("l"), s.start + m.end("l"))
        if found is None:
            continue
        side = next((x for it in r.items[i] if (x := side_of(it)) and
                     found[1] - 40 <= it.start < found[1]), None) or s.side
        sides = r.scope if side in (None, "B") else [side]
        for sd in sides:
            out.setdefault(sd, (found[0], (found[1], found[2])))
    return out


def read_recommendations(r: Report) -> list[tuple[str, tuple[int, int], bool]]:
    out: list[tuple[str, tuple[int, int], bool]] = []
    months = r.hinted(_MONTH_HINT)
    for i, s in enumerate(r.sents):
        if s.section in ("title", "history", "technique", "comparison"):
            continue
        kinds = r.cue_kinds[i]
        rec_ctx = s.section == "recommendation" or "rec" in kinds
        has_rec = "recommendation" in r.fields[i]
        if not has_rec and not months[i]:
            continue  # no advice wording and no "6 months" here
        text = r.low[s.start:s.end]
        if not rec_ctx and s.section == "findings":
            recs = [it for it in r.items[i] if it.field == "recommendation"] if has_rec else []
            rest = re.sub("|".join(re.escape(r.p.norm[it.start:it.end]) for it in recs) or "$^",
                          " ", r.p.norm[s.start:s.end]) if recs else ""
            rec_ctx = bool(recs) and _SHORT_REC.match(rest) is not None
        imp_ctx = rec_ctx or s.section == "impression" or s.addendum
        if not imp_ctx:
            continue
        hypo_at = min((cs for cs, _, k in r.cues[i] if k == "hypo"), default=None) \
            if "hypo" in kinds else None
        bx_spans = [(cs, ce) for cs, ce, k in r.cues[i] if k == "bx"] if "bx" in kinds else []
        six = cues.SIX_MONTHS.search(text) if months[i] else None
        found: list[tuple[str, tuple[int, int]]] = []
        for it in r.items[i] if has_rec else ():
            if it.field != "recommendation":
                continue
            if cues.GUIDED.match(r.low, it.end) or (hypo_at is not None and it.start > hypo_at):
                continue
            if it.text in vocab.AMBIGUOUS_RECOMMENDATIONS and not rec_ctx:
                continue
            if any(cs <= it.start < ce or it.start <= cs < it.end for cs, ce in bx_spans):
                continue
            cert, _ = in_scope(r, i, it.start, it.end)
            if cert == "negated":
                continue
            if it.value == "additional_imaging" and six and it.text == "diagnostic mammogram":
                continue
            found.append((str(it.value), (it.start, it.end)))
        if six and (hypo_at is None or s.start + six.start() < hypo_at):
            found.append(("short_interval_follow_up", (s.start + six.start(), s.start + six.end())))
        for v, sp in found:
            out.append((v, sp, s.addendum))
    if any(a for _, _, a in out):
        out = [x for x in out if x[2]]
    seen: set[str] = set()
    uniq = []
    for v, sp, a in out:
        if v not in seen:
            seen.add(v)
            uniq.append((v, sp, a))
    return uniq


def read_comparison(r: Report, found: list[Found]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    yes: tuple[int, int] | None = None
    no: tuple[int, int] | None = None
    date: tuple[dt.date, tuple[int, int]] | None = None
    change: tuple[str, tuple[int, int]] | None = None
    hint = r.hinted(_COMPARISON_HINT)
    for i, s in enumerate(r.sents):
        if s.section in ("recommendation", "title", "technique"):
            continue
        fields = r.fields[i]
        maybe = s.section == "comparison" or hint[i]
        if not maybe and "stability" not in fields:
            continue  # neither a comparison wording nor a change
        if "hypo" in r.cue_kinds[i] and s.section != "comparison":
            continue
        text = r.low[s.start:s.end]
        maybe = s.section == "comparison" or _COMPARISON_HINT.search(text) is not None
        is_none = cues.COMPARISON_NONE.search(text) if maybe else None
        if is_none and (s.section == "comparison" or _COMPARED.search(text)):
            no = no or (s.start + is_none.start(), s.start + is_none.end())
            continue
        m = cues.COMPARISON_YES.search(text) if maybe else None
        in_section = s.section == "comparison"
        if m or in_section:
            if s.section == "history" and not m:
                continue
            yes = yes or ((s.start + m.start(), s.start + m.end()) if m else (s.start, s.end))
            if date is None and "date" in fields:
                for it in r.items[i]:
                    if it.field == "date":
                        date = (it.value, (it.start, it.end))
                        break
        if change is not None or s.section == "history" or s.side is not None or \
                "stability" not in fields:
            continue  # the overall change is read from side-less, finding-less sentences
        has_anchor = "kind" in fields or "asymmetry_type" in fields
        sided = bool(r.sides[i])
        if not has_anchor and not sided and not CONTINUATION.match(text):
            for it in r.items[i]:
                if it.field == "stability":
                    cert, _ = in_scope(r, i, it.start, it.end)
                    if cert == "present" or it.text.startswith("no "):
                        change = (str(it.value), (it.start, it.end))
                        break
    if any(f.d.attrs.get("stability") for f in found) or change is not None:
        yes = yes or next(((f.d.ev.get("stability") or f.d.anchor and (f.d.anchor.start, f.d.anchor.end))
                           for f in found if f.d.attrs.get("stability")), change[1] if change else None)
    if yes is None and no is None:
        return None, {}
    compared = yes is not None
    ev: dict[str, tuple[int, int]] = {"compared": r.span(*(yes or no))}  # type: ignore[misc]
    kw: dict[str, Any] = {"compared": compared}
    if compared and date is not None:
        kw["prior_date"] = date[0]
        ev["prior_date"] = r.span(*date[1])
    if compared and change is not None:
        kw["change"] = change[0]
        ev["change"] = r.span(*change[1])
    kw["evidence"] = ev
    return kw, ev


def read_indication(r: Report) -> tuple[str, tuple[int, int]] | None:
    pool = [s for s in r.sents if s.section in ("title", "history")]
    if not any(s.section == "history" for s in pool):
        pool = pool + [s for s in r.sents[:3] if s not in pool]
    diag = scr = None
    for s in pool:
        text = r.low[s.start:s.end]
        if diag is None:
            m = cues.DIAGNOSTIC_CUES.search(text)
            if m and not (m.group() == "recall" and "routine" in text):
                diag = (s.start + m.start(), s.start + m.end())
        if scr is None:
            m = cues.SCREENING_CUES.search(text)
            if m:
                scr = (s.start + m.start(), s.start + m.end())
    if diag:
        return "diagnostic", diag
    if scr:
        return "screening", scr
    return None


def read_age(r: Report) -> tuple[int, tuple[int, int]] | None:
    pool = [s for s in r.sents if s.section in ("title", "history")]
    if not any(s.section == "history" for s in pool):
        pool = pool + [s for s in r.sents[:3] if s not in pool]
    for s in pool:
        i = r.sents.index(s)
        if "age" not in r.fields[i]:
            continue
        for it in r.items[i]:
            if it.field != "age" or cues.AGE_NOT_PATIENT.search(r.low, s.start, it.start):
                continue
            if 18 <= it.value <= 110:
                return it.value, (it.start, it.end)
    return None


def read_exam_date(r: Report) -> tuple[dt.date, tuple[int, int]] | None:
    for i, s in enumerate(r.sents):
        if "date" not in r.fields[i]:
            continue
        if s.section == "title" or _DATE_CONTEXT.search(r.low, s.start, s.end):
            for it in r.items[i]:
                if it.field == "date":
                    return it.value, (it.start, it.end)
    return None
