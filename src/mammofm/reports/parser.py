"""Free-text mammography report -> BI-RADS ``Exam`` record, every field with its evidence span.

A compact rule engine rather than a spaCy/medspaCy pipeline: one vocabulary pass (a trie
regex over the lexicon's wordings), one pass of ConText-style cues, a few numeric patterns,
then assembly sentence by sentence. ``benchmarks/parse.py`` measures it against negspaCy on
the same corpus; the rule engine is both more accurate on mammography negation lists and two
orders of magnitude faster.

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

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from mammofm.birads import (
    AssociatedFeature,
    Breast,
    Certainty,
    Comparison,
    Exam,
    Finding,
    FindingKind,
    Indication,
    Laterality,
    Location,
    Recommendation,
    Stability,
    clock_quadrant_conflict,
)
from mammofm.birads.lexicon import ENUMS, KIND_DESCRIPTORS

from . import categories, cues, vocab
from .segment import Sentence, split
from .textprep import Prepared, empty_reason, language_reason, prepare

__all__ = ["parse"]

_FINDING_SECTIONS = frozenset({"findings", "impression"})
_NO_CONTENT = "no mammography findings, categories or recommendations found in the text"
_DESCRIPTOR_FIELDS = ("shape", "margin", "density", "morphology", "distribution",
                      "asymmetry_type", "implant_material", "implant_position")
_LOCATION_FIELDS = ("quadrant", "depth")
_GUARDED_COMPOSITION = re.compile(r"\d|%|^fatty$")
_COMPOSITION_CONTEXT = re.compile(r"glandul|fibroglandular|dens|parenchym|composition|"
                                  r"breast tissue|breasts? (?:is|are)|acr|fatty breasts?(?![a-z])")
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
_CONTINUATION = re.compile(r"^\s*(?:it|this|they|these|which|now|measur\w*|"
                           r"(?:possible\s+|probable\s+|with\s+)?associated|"
                           r"the\s+(?:margins?|lesion|finding|abnormality|shape))(?![a-z])")
_ADJ_GAP = re.compile(r"^[\s,]*(?:(?:a|an|and|the|small|large|tiny|subtle|few|several|multiple|"
                      r"two|three|second|another|additional|benign|appearing|suspicious|new|"
                      r"discrete|dominant|solid|partially|partly|well|somewhat|slightly|"
                      r"approx\w*|about|measuring|appearing|ill|of)\s*[,]?\s*)*$")
_WITH_AF = re.compile(r"with\s+(?:associated\s+)?(?:[a-z]+\s+){0,2}$")
_DATE_CONTEXT = re.compile(r"date\s+of\s+(?:exam|study|service)|exam(?:ination)?\s+date|"
                           r"study\s+date|(?<![a-z])date\s*:")
_VIEW_CONTEXT = re.compile(r"^[\s,a-z]{0,40}?(?:views?|projections?|images?)(?![a-z])")
_VIEW_NEGATED = re.compile(r"(?:not|without|no)(?![a-z])[^.;]{0,25}$")
_MANY = re.compile(r"(?<![a-z])(?:two|three|2|3|both|each)\s+(?:[a-z\-]+\s+){0,4}$")
_OBSCURE = re.compile(r"obscur\w*\s+(?:small\s+)?$")
_SHORT_REC = re.compile(r"^[\s,.;]*(?:(?:is|are|recommended|advised|suggested|in|one|1|year|"
                        r"mammography|mammogram|mammographic|ultrasound|mri|"
                        r"12|months|the|a|of|and)[\s,.;]*)*$")
_ABBREV_VIEWS = frozenset({"cc", "mlo", "xccl", "xccm"})


# literal hints (one fast search) that decide whether a sentence needs a full pattern search
_MODALITY_HINT = re.compile(r"sono|ultrasound|echo|shadowing|vascularity|doppler|mri|enhanc|"
                            r"washout|magnetic|tomo|dbt|3d")
_MODALITY_WORDS = (("ultrasound", cues.US_WORDS), ("mri", cues.MRI_WORDS),
                   ("tomosynthesis", cues.TOMO_WORDS))
_SOFTWARE_HINT = re.compile(r"volpara|quantra|densitas|software|automated|volumetric|vdg")
_DENSITY_HINT = re.compile(r"dens|acr|rads|composition|\[")
_COMPARISON_HINT = re.compile(r"compar|prior|previous|outside|since|stable|unchanged|baseline|"
                              r"none|n/a|available")


# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Item:
    """One thing found in the text: a vocabulary wording, a number, or a cue."""

    start: int
    end: int
    field: str  # lexicon field, or size / clock / distance / bx / rupture / intact / laterality
    value: Any
    text: str = ""


@dataclass(slots=True)
class _Draft:
    kind: str
    anchor: _Item
    sentence: Sentence
    sides: list[str] = field(default_factory=list)
    side_span: tuple[int, int] | None = None
    certainty: str = "present"
    certainty_span: tuple[int, int] | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    ev: dict[str, tuple[int, int]] = field(default_factory=dict)
    af: list[str] = field(default_factory=list)
    views: list[str] = field(default_factory=list)
    modality: str = "mammography"
    anaphoric: bool = False
    clocks: list[_Item] = field(default_factory=list)

    def put(self, name: str, value: Any, item: _Item) -> None:
        if name not in self.attrs:
            self.attrs[name] = value
            self.ev[name] = (item.start, item.end)


def _allowed(kind: str, name: str) -> bool:
    return name in KIND_DESCRIPTORS[FindingKind(kind)]


class _Report:
    """Parsing state of one report."""

    def __init__(self, p: Prepared) -> None:
        self.p = p
        self.low = p.low
        self.sents = split(p.low)
        self.starts = [s.start for s in self.sents]
        self.items: list[list[_Item]] = [[] for _ in self.sents]
        self.cues: list[list[tuple[int, int, str]]] = [[] for _ in self.sents]
        self.masked: list[tuple[int, int]] = []
        self.title = " ".join(p.low[s.start:s.end] for s in self.sents if s.section == "title")
        self.male = cues.MALE.search(self.title + " " + " ".join(
            p.low[s.start:s.end] for s in self.sents if s.section == "history")) is not None \
            or "gyn" in p.low and "comastia" in p.low
        self.scope = self._scope()
        self.default_modality = self._default_modality()

    # ---- locating things ------------------------------------------------------------------
    def sent_index(self, pos: int) -> int | None:
        i = bisect.bisect_right(self.starts, pos) - 1
        if i >= 0 and pos < self.sents[i].end:
            return i
        return None

    def add(self, item: _Item) -> None:
        i = self.sent_index(item.start)
        if i is not None:
            self.items[i].append(item)

    def is_masked(self, a: int, b: int) -> bool:
        for s, e in self.masked:
            if s <= a and b <= e:
                return True
        return False

    def _scope(self) -> list[str]:
        t = self.title
        if not t or cues.BILATERAL.search(t):
            return ["L", "R"]
        m = re.search(r"(?<![a-z])(right|left|rt|lt)(?![a-z])", t)
        if m:
            return ["R"] if m.group(1).startswith("r") else ["L"]
        return ["L", "R"]

    def _default_modality(self) -> str:
        t = self.title
        has_mammo = re.search(r"mammo|(?<![a-z])mg(?![a-z])|tomo|dbt", t) is not None
        if not has_mammo and re.search(r"(?<![a-z])(?:us|ultrasound|sonograph\w*)(?![a-z])", t):
            return "ultrasound"
        if not has_mammo and re.search(r"(?<![a-z])mri(?![a-z])", t):
            return "mri"
        return "mammography"

    def span(self, a: int, b: int) -> tuple[int, int]:
        return self.p.span(a, b)


# ---------------------------------------------------------------------------------------------
def _collect(r: _Report) -> list[categories.CategoryMention]:
    low, norm = r.p.low, r.p.norm
    cats = categories.find(low)
    # the category and the wording after it ("4: Suspicious") are not findings or advice
    vocab_hits = [(m.start(), m.end(), m.group()) for m in vocab.matcher().finditer(norm)]
    assess_at = {s: e for s, e, t in vocab_hits if "assessment" in vocab.fields_of(t)}
    for c in cats:
        end = c.end
        while True:
            j = end
            while j < len(low) and low[j] in " :-(),\u2013":
                j += 1
            if j in assess_at and j - end <= 4:
                end = assess_at[j]
            else:
                break
        r.masked.append((c.start, end))
    for s, e, t in vocab_hits:
        masked = r.is_masked(s, e)
        for f, v in vocab.lookup(t):
            if f == "cue":
                i = r.sent_index(s)
                if i is not None:
                    r.cues[i].append((s, e, v))
            elif not masked:
                r.add(_Item(s, e, f, v, t))
    for m in cues.PUNCT_CUE_RE.finditer(low):
        i = r.sent_index(m.start())
        if i is not None:
            r.cues[i].append((m.start(), m.end(), m.lastgroup or ""))
    for m in cues.NUMERIC_RE.finditer(low):
        kind = m.lastgroup
        a, b = m.start(), m.end()
        if kind in ("iso", "slash", "dmy"):
            d = _date(kind, m.group())
            if d is not None:
                r.add(_Item(a, b, "date", d))
        elif kind in ("range", "clock", "clockc", "clockd"):
            val = _clock(m.group(), kind == "range")
            if val is not None:
                r.add(_Item(a, b, "clock", val))
        elif kind == "dist":
            unit = m.group("du") or "cm"
            val = float(m.group("da")) / (10.0 if unit.startswith("m") else 1.0)
            if 0 <= val <= 30:
                r.add(_Item(a, b, "distance", val))
        elif kind == "size":
            if cues.NOT_SIZE_AFTER.match(low, b) or cues.NOT_SIZE_BEFORE.search(low, max(0, a - 30), a):
                continue
            nums = [float(x) for x in (m.group("a"), m.group("b"), m.group("c")) if x]
            mm = max(nums) * (10.0 if m.group("u").startswith("c") else 1.0)
            if 0 < mm <= 300:
                r.add(_Item(a, b, "size", round(mm, 1)))
        elif kind == "age":
            r.add(_Item(a, b, "age", int(_DATE_NUMS.match(m.group()).group())))  # type: ignore[union-attr]
        elif kind == "nplus":
            raw, unit = re.match(r"([\d.]+)\s*([a-z]*)", m.group()).groups()  # type: ignore[union-attr]
            val = float(raw) / (10.0 if unit.startswith("m") else 1.0)
            if 0 <= val <= 30:
                r.add(_Item(a - 2, b, "distance", val))
        elif kind == "lth":
            side = cues.SIDE_BEFORE.search(low, max(0, a - 4), a)
            val = _hours(_DATE_NUMS.match(m.group()).group(), None)  # type: ignore[union-attr]
            if side is not None and val is not None:
                r.add(_Item(side.start(), b, "clock", val))
                r.add(_Item(side.start(), side.end(), "laterality",
                            "R" if side.group(1).startswith("r") else "L"))
        elif kind == "mdy":
            mon = cues.MONTH_BEFORE.search(low, max(0, a - 12), a)
            if mon is not None:
                d = _date("mdy", low[mon.start():b])
                if d is not None:
                    r.add(_Item(mon.start(), b, "date", d))
        elif kind == "agew":
            if re.search(r"(?<![a-z])(?:age|aged|patient is)\s*:?\s*$", low[max(0, a - 14):a]):
                r.add(_Item(a, b, "age", int(m.group())))
    for i in range(len(r.sents)):
        r.items[i].sort(key=lambda it: (it.start, -it.end))
        r.cues[i].sort()
    for c in cats:
        i = r.sent_index(max(c.start, c.end - 1))
        if i is None:
            continue
        s = r.sents[i]
        before = low[s.start:c.start]
        c.addendum = s.addendum
        c.prior = s.section in ("history", "comparison", "technique") or re.search(
            r"(?<![a-z])(?:prior|previous|previously|was|were|history\s+of|last\s+year)(?![a-z])",
            before) is not None
        c.hypothetical = re.search(r"(?<![a-z])(?:if|would|could|unless)(?![a-z])",
                                   before) is not None
        c.overall = categories.is_overall(before) or categories.is_overall(s.header)
        c.side = _nearest_side(r.items[i], c.start) or s.side
    return cats


_CLOCK_PARTS = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?")


def _clock(text: str, is_range: bool) -> float | None:
    parts = _CLOCK_PARTS.findall(text)
    if not parts:
        return None
    if not is_range:
        return _hours(parts[0][0], parts[0][1] or None)
    h1 = _hours(parts[0][0], parts[0][1] or None)
    h2 = _hours(parts[1][0], parts[1][1] or None) if len(parts) > 1 else None
    if h1 is None or h2 is None:
        return None
    if h2 < h1:
        h2 += 12
    val = (h1 + h2) / 2
    val = val - 12 if val > 12 else val
    return 12.0 if val == 0 else val


_DATE_NUMS = re.compile(r"\d+")
_DATE_MON = re.compile(r"[a-z]{3}")


def _date(kind: str, text: str) -> dt.date | None:
    nums = [int(x) for x in _DATE_NUMS.findall(text)]
    try:
        if kind == "iso":
            return dt.date(nums[0], nums[1], nums[2])
        if kind == "slash":
            a, b, y = nums[:3]
            month, day = (b, a) if a > 12 else (a, b)
            return dt.date(y, month, day)
        mon = cues.MONTHS[_DATE_MON.search(text).group()]  # type: ignore[union-attr]
        return dt.date(nums[1], mon, nums[0])
    except (ValueError, KeyError, IndexError, AttributeError):
        return None


def _hours(h: str | None, m: str | None) -> float | None:
    if h is None:
        return None
    hh = int(h)
    if hh == 0:
        hh = 12
    if not 1 <= hh <= 12:
        return None
    mm = int(m) if m else 0
    if mm >= 60:
        return None
    val = round((hh + mm / 60.0) * 4) / 4
    return val - 12 if val > 12 else val  # 12:30 is half past twelve: 0.5


def _side_of(item: _Item) -> str | None:
    if item.field != "laterality":
        return None
    v = str(item.value)
    return v if v in ("L", "R", "B") else None


def _nearest_side(items: list[_Item], pos: int, end: int | None = None) -> str | None:
    """The side written closest to [pos, end); on a tie, the one written after."""
    end = pos if end is None else end
    best, dist = None, 10**9
    for it in items:
        s = _side_of(it)
        if s is None:
            continue
        d = it.start - end if it.start >= end else pos - it.end + 1
        if d < dist:
            best, dist = s, d
    return best


# ---------------------------------------------------------------------------------------------
def _anchors(r: _Report, i: int) -> list[_Item]:
    items = r.items[i]
    out: list[_Item] = []
    used: set[tuple[int, int]] = set()
    for it in items:
        key = (it.start, it.end)
        if key in used:
            continue
        kind = None
        if it.field == "kind" and it.text not in vocab.NOT_ANCHORS:
            kind = it.value
        elif it.field == "asymmetry_type":
            kind = "asymmetry"
        elif it.field == "morphology" and "calcif" in it.text:
            kind = "calcification"
        if kind is not None and _OBSCURE.search(r.low, max(0, it.start - 30), it.start):
            continue
        if kind is not None:
            used.add(key)
            out.append(_Item(it.start, it.end, "anchor", kind, it.text))
    if not out:
        for it in items:
            if it.field == "weak_kind":
                out.append(_Item(it.start, it.end, "anchor", "mass", it.text))
                break
    return out


def _in_scope(r: _Report, i: int, a: int, b: int) -> tuple[str, tuple[int, int] | None]:
    """Certainty of a mention at [a, b) from the cues of its sentence (ConText scopes)."""
    cs = r.cues[i]
    best: tuple[int, str, tuple[int, int]] | None = None
    for s, e, kind in cs:
        if kind in ("neg_pre", "unc_pre") and e <= a:
            if any(k2 == "term" and e <= s2 and e2 <= a for s2, e2, k2 in cs):
                continue
            dist = a - e
            cert = "negated" if kind == "neg_pre" else "uncertain"
        elif kind in ("neg_post", "unc_post") and s >= b:
            if any(k2 == "term" and b <= s2 and e2 <= s for s2, e2, k2 in cs):
                continue
            dist = s - b
            cert = "negated" if kind == "neg_post" else "uncertain"
        else:
            continue
        if best is None or dist < best[0]:
            best = (dist, cert, (s, e))
    if best is None:
        return "present", None
    return best[1], best[2]


def _is_anaphoric(r: _Report, s: Sentence, a: _Item) -> bool:
    m = cues.ANAPHOR.search(r.low, max(s.start, a.start - 60), a.start)
    if m is None:
        return False
    words = m.group(1).split()
    return not any(w in cues.ANAPHOR_BREAK for w in words)


def _adjacent_before(r: _Report, item: _Item, anchor: _Item, items: list[_Item]) -> bool:
    gap = list(r.low[item.end:anchor.start])
    for it in items:
        if item.end <= it.start and it.end <= anchor.start:
            for k in range(it.start - item.end, it.end - item.end):
                gap[k] = " "
    return _ADJ_GAP.match("".join(gap)) is not None


def _sentence_modality(r: _Report, i: int) -> str | None:
    s = r.sents[i]
    for it in r.items[i]:
        if it.field == "modality" and it.value != "mammography" and \
                not cues.GUIDED.match(r.low, it.end):
            return str(it.value)
    text = r.low[s.start:s.end]
    if _MODALITY_HINT.search(text):
        for name, rx in _MODALITY_WORDS:
            if rx.search(text):
                return name
    return s.modality


def _drafts(r: _Report, i: int, carry: str | None) -> list[_Draft]:
    s = r.sents[i]
    items = r.items[i]
    anchors = _anchors(r, i)
    if not anchors:
        return []
    # "a mass with (associated) calcifications / architectural distortion" -> feature of the mass
    kept: list[_Item] = []
    extra_af: dict[int, list[tuple[str, _Item]]] = {}
    for a in anchors:
        if kept and a.value in ("calcification", "architectural_distortion") and \
                kept[-1].value in ("mass", "asymmetry", "architectural_distortion") and \
                kept[-1].value != a.value and \
                _WITH_AF.search(r.low, kept[-1].end, a.start) and \
                _WITH_AF.search(r.low[kept[-1].end:a.start]) is not None:
            af = "calcifications" if a.value == "calcification" else "architectural_distortion"
            extra_af.setdefault(len(kept) - 1, []).append((af, a))
            continue
        kept.append(a)
    anchors = kept
    # "the previously questioned mass persists ... as a 7 mm oval mass": one mass
    merged: list[_Item] = []
    for a in anchors:
        if merged and merged[-1].value == a.value and (
                _is_anaphoric(r, s, merged[-1]) or r.low[merged[-1].end:a.start].strip().startswith("(")):
            continue
        merged.append(a)
    anchors = merged
    drafts = [_Draft(str(a.value), a, s) for a in anchors]
    for d in drafts:
        for it in items:
            if it.start == d.anchor.start and it.end == d.anchor.end and \
                    it.field in ("morphology", "asymmetry_type"):
                d.put(it.field, it.value, it)
    for k, afs in extra_af.items():
        for af, it in afs:
            if af not in drafts[k].af:
                drafts[k].af.append(af)
                drafts[k].ev[f"associated_features.{af}"] = (it.start, it.end)
    modality = _sentence_modality(r, i) or r.default_modality
    anchor_keys = {(a.start, a.end) for a in anchors}

    anchor_starts = [a.start for a in anchors]

    def owner(it: _Item, valid: Any = None) -> int | None:
        idx = bisect.bisect_right(anchor_starts, it.start)  # anchors before it
        prev_i = idx - 1 if idx > 0 else None
        next_i = idx if idx < len(anchors) else None
        order: list[int] = []
        if next_i is not None and (prev_i is None or (
                it.field in _DESCRIPTOR_FIELDS + ("size",) and
                _adjacent_before(r, it, anchors[next_i], items))):
            order = [next_i] + ([prev_i] if prev_i is not None else [])
        else:
            order = ([prev_i] if prev_i is not None else []) + ([next_i] if next_i is not None else [])
        for o in order:
            if valid is None or valid(drafts[o].kind):
                return o
        return None

    for it in items:
        if (it.start, it.end) in anchor_keys:
            continue
        f = it.field
        if f in _DESCRIPTOR_FIELDS:
            o = owner(it, lambda k, f=f: _allowed(k, f))
            if o is None:
                continue
            drafts[o].put(f, it.value, it)
        elif f == "kind" and it.text in vocab.NOT_ANCHORS:
            continue
        elif f in ("quadrant", "depth"):
            if f == "quadrant" and re.match(r"\s*views?", r.low[it.end:it.end + 8]):
                continue
            if f == "depth" and re.match(r"[\s-]*(?:to|shadow\w*|acoustic|enhancement|"
                                         r"features?)(?![a-z])", r.low[it.end:it.end + 14]):
                continue
            o = owner(it)
            if o is not None:
                drafts[o].put(f, it.value, it)
        elif f in ("size", "clock", "distance"):
            o = owner(it)
            if o is not None and f == "clock":
                drafts[o].clocks.append(it)
            if o is not None:
                name = {"size": "size_mm", "distance": "distance_from_nipple_cm"}.get(f, f)
                drafts[o].put(name, it.value, it)
        elif f == "stability":
            o = owner(it)
            if o is not None:
                drafts[o].put("stability", it.value, it)
        elif f == "associated_feature":
            o = owner(it)
            if o is not None and it.value not in drafts[o].af:
                af = it.value
                if (drafts[o].kind == "calcification" and af == "calcifications") or \
                        (drafts[o].kind == "architectural_distortion" and af == "architectural_distortion"):
                    continue
                drafts[o].af.append(af)
                drafts[o].ev[f"associated_features.{af}"] = (it.start, it.end)
        elif f == "view":
            after = r.low[it.end:it.end + 30]
            if it.text not in _ABBREV_VIEWS and not _VIEW_CONTEXT.match(after) and \
                    not re.search(r"views?$", it.text):
                continue
            if any(o.field == "quadrant" and o.start == it.start for o in items) and \
                    not re.match(r"\s*views?", after):
                continue  # "axillary tail" is a place unless it is a view
            if _VIEW_NEGATED.search(r.low[max(s.start, it.start - 30):it.start]) or \
                    any(k == "rec" for _, _, k in r.cues[i]):  # views advised, not seen
                continue
            o = owner(it)
            if o is not None and it.value not in drafts[o].views:
                drafts[o].views.append(it.value)
                drafts[o].ev.setdefault("views", (it.start, it.end))
        elif f == "pathology":
            o = owner(it)
            if o is not None:
                drafts[o].put("pathology", it.value, it)
    for cs, ce, kind in r.cues[i]:
        if kind in ("bx", "rupture", "intact"):
            o = owner(_Item(cs, ce, kind, True))
            if o is None:
                continue
            d = drafts[o]
            if kind == "bx":
                d.put("previously_biopsied", True, _Item(cs, ce, kind, True))
            elif d.kind == "implant":
                cert, _ = _in_scope(r, i, cs, ce)
                val = kind == "rupture" and cert == "present"
                d.put("implant_rupture", val, _Item(cs, ce, kind, val))
    # coordination: "distortion and calcifications at the lumpectomy site, stable"
    for k in range(len(drafts) - 1):
        a, b = drafts[k], drafts[k + 1]
        between = r.low[a.anchor.end:b.anchor.start]
        if re.fullmatch(r"[\s,]*(?:and|or|&)\s+(?:[a-z\-]+\s+){0,3}", between) and \
                not any(n in a.attrs for n in ("quadrant", "clock", "depth", "distance_from_nipple_cm")):
            for n in ("quadrant", "clock", "depth", "distance_from_nipple_cm", "stability"):
                if n in b.attrs and n not in a.attrs:
                    a.attrs[n] = b.attrs[n]
                    a.ev[n] = b.ev[n]
    # "two groups of calcifications at 10 o'clock and at 11 o'clock": two findings
    split_drafts: list[_Draft] = []
    for d in drafts:
        split_drafts.append(d)
        if len(d.clocks) >= 2 and _MANY.search(r.low, s.start, d.anchor.start):
            for c in d.clocks[1:]:
                twin = _copy(d)
                twin.attrs["clock"], twin.ev["clock"] = c.value, (c.start, c.end)
                split_drafts.append(twin)
    drafts = split_drafts
    # certainty, side, modality
    for d in drafts:
        d.certainty, span = _in_scope(r, i, d.anchor.start, d.anchor.end)
        if span:
            d.certainty_span = span
        if d.attrs.get("stability") == "resolved":
            d.certainty = "negated"
        d.modality = modality
        own = next((it for it in items if it.field == "modality" and it.end <= d.anchor.start
                    and _ADJ_GAP.match(r.low[it.end:d.anchor.start])), None)
        if own is not None:  # "the mammographic distortion", "a sonographic mass"
            d.modality = str(own.value)
        d.anaphoric = _is_anaphoric(r, s, d.anchor)
        side = _nearest_side(items, d.anchor.start, d.anchor.end)
        if side is not None:
            for it in items:
                if _side_of(it) == side:
                    d.side_span = (it.start, it.end)
                    break
        side = side or s.side or carry
        d.sides = ["L", "R"] if side in (None, "B") and len(r.scope) == 2 or side == "B" \
            else ([side] if side else list(r.scope))
        if d.kind == "asymmetry" and "asymmetry_type" not in d.attrs and d.certainty != "negated":
            at = next((it for it in items if it.field == "asymmetry_type" and
                       it.start == d.anchor.start), None)
            d.attrs["asymmetry_type"] = at.value if at else "asymmetry"
            d.ev["asymmetry_type"] = (d.anchor.start, d.anchor.end)
    return drafts


# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Found:
    side: str
    d: _Draft
    impression: bool


def _merge_into(target: _Draft, src: _Draft) -> None:
    for k, v in src.attrs.items():
        if k not in target.attrs:
            target.attrs[k] = v
            if k in src.ev:
                target.ev[k] = src.ev[k]
    for af in src.af:
        if af not in target.af:
            target.af.append(af)
    for v in src.views:
        if v not in target.views:
            target.views.append(v)


def _findings(r: _Report) -> list[_Found]:
    out: list[_Found] = []
    seen_text: set[str] = set()
    block, block_sides, block_reset = -1, set(), False
    last: list[_Found] = []  # findings of the latest sentence that had any
    for i, s in enumerate(r.sents):
        key = " ".join(r.p.norm[s.start:s.end].split())
        if len(key) > 12 and key in seen_text:
            continue
        seen_text.add(key)
        if s.block != block:
            block, block_sides, block_reset = s.block, set(), False
        sides_here = {x for it in r.items[i] if (x := _side_of(it))}
        if s.side:
            sides_here.add(s.side)
        if s.section not in _FINDING_SECTIONS:
            continue
        carry = None
        if not sides_here and not block_reset and len(block_sides) == 1 and "B" not in block_sides:
            carry = next(iter(block_sides))
        drafts = _drafts(r, i, carry)
        if any(it.field == "composition" for it in r.items[i]) and not sides_here:
            block_reset, block_sides = True, set()
        if sides_here:
            block_reset = False
            block_sides |= {"L", "R"} if "B" in sides_here else sides_here
        if not drafts:
            _continue_previous(r, i, last)
            continue
        impression = s.section == "impression" or s.addendum
        new: list[_Found] = []
        for d in drafts:
            for side in d.sides:
                f = _Found(side, d if len(d.sides) == 1 else _copy(d), impression)
                target = None
                if impression or d.anaphoric:
                    same = [x for x in out if x.side == side and x.d.kind == d.kind]
                    if d.certainty != "negated":
                        same = [x for x in same if x.d.certainty != "negated"]
                    if same and (d.certainty != "negated" or impression):
                        target = same[-1]
                if target is not None:
                    if d.certainty != "negated":
                        _merge_into(target.d, f.d)
                    new.append(target)
                    continue
                if f.d.certainty == "negated" and any(
                        x.side == side and x.d.kind == d.kind and x.d.certainty == "negated"
                        and x.d.modality == d.modality for x in out):
                    continue
                out.append(f)
                new.append(f)
        last = new
    return out


def _copy(d: _Draft) -> _Draft:
    return _Draft(d.kind, d.anchor, d.sentence, list(d.sides), d.side_span, d.certainty,
                  d.certainty_span, dict(d.attrs), dict(d.ev), list(d.af), list(d.views),
                  d.modality, d.anaphoric)


def _continue_previous(r: _Report, i: int, last: list[_Found]) -> None:
    """A sentence without a finding of its own that goes on about the previous one."""
    if not last:
        return
    s = r.sents[i]
    text = r.low[s.start:s.end]
    cue_kinds = {k for _, _, k in r.cues[i]}
    if not (_CONTINUATION.match(text) or "bx" in cue_kinds or "rupture" in cue_kinds
            or "intact" in cue_kinds):
        return
    for f in last:
        d = f.d
        for it in r.items[i]:
            if it.field in _DESCRIPTOR_FIELDS and _allowed(d.kind, it.field):
                d.put(it.field, it.value, it)
            elif it.field == "size" and d.certainty != "negated":
                d.put("size_mm", it.value, it)
            elif it.field == "stability":
                cert, _ = _in_scope(r, i, it.start, it.end)
                if cert == "present":
                    d.put("stability", it.value, it)
            elif it.field == "associated_feature" and it.value not in d.af:
                d.af.append(it.value)
        for cs, ce, kind in r.cues[i]:
            if kind == "bx" and d.certainty != "negated":
                d.put("previously_biopsied", True, _Item(cs, ce, kind, True))
            elif kind in ("rupture", "intact") and d.kind == "implant":
                cert, _ = _in_scope(r, i, cs, ce)
                val = kind == "rupture" and cert == "present"
                d.put("implant_rupture", val, _Item(cs, ce, kind, val))


# ---------------------------------------------------------------------------------------------
def _composition(r: _Report) -> dict[str, tuple[str, tuple[int, int]]]:
    out: dict[str, tuple[str, tuple[int, int]]] = {}
    if r.male:
        return out
    for i, s in enumerate(r.sents):
        if s.section in ("history", "technique", "comparison"):
            continue
        text = r.low[s.start:s.end]
        if _SOFTWARE_HINT.search(text) and cues.SOFTWARE.search(text):
            continue
        found: tuple[str, int, int] | None = None
        for it in r.items[i]:
            if it.field != "composition":
                continue
            if _GUARDED_COMPOSITION.search(it.text):
                if not _COMPOSITION_CONTEXT.search(text.replace(it.text, " ")) and \
                        not re.match(r"\s+breasts?(?![a-z])", r.low[it.end:it.end + 9]):
                    continue
                if it.text == "fatty" and _FATTY_NOT.match(r.low, it.end):
                    continue
            found = (str(it.value), it.start, it.end)
            break
        if found is None:
            m = (_CHECKBOX.search(text) or _LETTER_DENSITY.search(text)) \
                if _DENSITY_HINT.search(text) else None
            if m is None and any(s.header == h for h in _DENSITY_HEADERS):
                m = _BARE_LETTER.match(text)
            if m is not None:
                found = (m.group("l"), s.start + m.start("l"), s.start + m.end("l"))
        if found is None:
            continue
        side = next((x for it in r.items[i] if (x := _side_of(it)) and
                     found[1] - 40 <= it.start < found[1]), None) or s.side
        sides = r.scope if side in (None, "B") else [side]
        for sd in sides:
            out.setdefault(sd, (found[0], (found[1], found[2])))
    return out


def _recommendations(r: _Report) -> list[tuple[str, tuple[int, int], bool]]:
    out: list[tuple[str, tuple[int, int], bool]] = []
    for i, s in enumerate(r.sents):
        if s.section in ("title", "history", "technique", "comparison"):
            continue
        kinds = {k for _, _, k in r.cues[i]}
        rec_ctx = s.section == "recommendation" or "rec" in kinds
        text = r.low[s.start:s.end]
        if not rec_ctx and s.section == "findings":
            recs = [it for it in r.items[i] if it.field == "recommendation"]
            rest = re.sub("|".join(re.escape(r.p.norm[it.start:it.end]) for it in recs) or "$^",
                          " ", r.p.norm[s.start:s.end]) if recs else ""
            rec_ctx = bool(recs) and _SHORT_REC.match(rest) is not None
        imp_ctx = rec_ctx or s.section == "impression" or s.addendum
        if not imp_ctx:
            continue
        hypo_at = min((cs for cs, _, k in r.cues[i] if k == "hypo"), default=None)
        bx_spans = [(cs, ce) for cs, ce, k in r.cues[i] if k == "bx"]
        six = cues.SIX_MONTHS.search(text)
        found: list[tuple[str, tuple[int, int]]] = []
        for it in r.items[i]:
            if it.field != "recommendation":
                continue
            if cues.GUIDED.match(r.low, it.end) or (hypo_at is not None and it.start > hypo_at):
                continue
            if it.text in vocab.AMBIGUOUS_RECOMMENDATIONS and not rec_ctx:
                continue
            if any(cs <= it.start < ce or it.start <= cs < it.end for cs, ce in bx_spans):
                continue
            cert, _ = _in_scope(r, i, it.start, it.end)
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


def _comparison(r: _Report, found: list[_Found]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    yes: tuple[int, int] | None = None
    no: tuple[int, int] | None = None
    date: tuple[dt.date, tuple[int, int]] | None = None
    change: tuple[str, tuple[int, int]] | None = None
    for i, s in enumerate(r.sents):
        if s.section in ("recommendation", "title", "technique"):
            continue
        text = r.low[s.start:s.end]
        kinds = {k for _, _, k in r.cues[i]}
        if "hypo" in kinds and s.section != "comparison":
            continue
        maybe = s.section == "comparison" or _COMPARISON_HINT.search(text) is not None
        is_none = cues.COMPARISON_NONE.search(text) if maybe else None
        if is_none and (s.section == "comparison" or re.search(r"compar|prior|previous", text)):
            no = no or (s.start + is_none.start(), s.start + is_none.end())
            continue
        m = cues.COMPARISON_YES.search(text) if maybe else None
        in_section = s.section == "comparison"
        if m or in_section:
            if s.section == "history" and not m:
                continue
            yes = yes or ((s.start + m.start(), s.start + m.end()) if m else (s.start, s.end))
            if date is None:
                for it in r.items[i]:
                    if it.field == "date":
                        date = (it.value, (it.start, it.end))
                        break
        has_anchor = any(it.field in ("kind", "asymmetry_type") for it in r.items[i])
        sided = s.side is not None or any(_side_of(it) for it in r.items[i])
        if change is None and not has_anchor and not sided and s.section != "history" and \
                not _CONTINUATION.match(text):
            for it in r.items[i]:
                if it.field == "stability":
                    cert, _ = _in_scope(r, i, it.start, it.end)
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


def _indication(r: _Report) -> tuple[str, tuple[int, int]] | None:
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


def _age(r: _Report) -> tuple[int, tuple[int, int]] | None:
    pool = [s for s in r.sents if s.section in ("title", "history")]
    if not any(s.section == "history" for s in pool):
        pool = pool + [s for s in r.sents[:3] if s not in pool]
    for s in pool:
        i = r.sents.index(s)
        for it in r.items[i]:
            if it.field != "age" or cues.AGE_NOT_PATIENT.search(r.low, s.start, it.start):
                continue
            if 18 <= it.value <= 110:
                return it.value, (it.start, it.end)
    return None


def _exam_date(r: _Report) -> tuple[dt.date, tuple[int, int]] | None:
    for i, s in enumerate(r.sents):
        if s.section == "title" or _DATE_CONTEXT.search(r.low, s.start, s.end):
            for it in r.items[i]:
                if it.field == "date":
                    return it.value, (it.start, it.end)
    return None


# ---------------------------------------------------------------------------------------------
def _build_finding(r: _Report, f: _Found) -> dict[str, Any]:
    """One finding as the dict the schema validates (values as canonical strings)."""
    d = f.d
    kind = d.kind
    ev = {k: r.span(*v) for k, v in d.ev.items()}
    ev["kind"] = r.span(d.anchor.start, d.anchor.end)
    if d.side_span:
        ev["laterality"] = r.span(*d.side_span)
    kw: dict[str, Any] = {"kind": kind, "modality": d.modality}
    if d.certainty != "present":
        kw["certainty"] = d.certainty
        if d.certainty_span:
            ev["certainty"] = r.span(*d.certainty_span)
    negated = d.certainty == "negated"
    if negated:  # an absent finding has no descriptors, place or size
        keep = {"stability"} if d.attrs.get("stability") == "resolved" else set()
    else:
        keep = set(d.attrs)
    loc: dict[str, Any] = {}
    for name, value in d.attrs.items():
        if name not in keep:
            ev.pop(name, None)
            continue
        if name in ("quadrant", "depth"):
            loc[name] = value
        elif name == "clock":
            loc["clock"] = float(value)
        elif name == "distance_from_nipple_cm":
            loc[name] = float(value)
        elif name in _DESCRIPTOR_FIELDS or name in ("stability", "pathology"):
            if name in _DESCRIPTOR_FIELDS and not _allowed(d.kind, name):
                continue
            kw[name] = value
        elif name in ("size_mm",):
            kw[name] = float(value)
        elif name in ("previously_biopsied", "implant_rupture"):
            if name == "implant_rupture" and kind != "implant":
                continue
            kw[name] = bool(value)
    if "pathology" in kw and not kw.get("previously_biopsied"):
        kw.pop("pathology")
        ev.pop("pathology", None)
    if "quadrant" in loc and "clock" in loc and \
            clock_quadrant_conflict(f.side, Location(quadrant=loc["quadrant"], clock=loc["clock"])):
        loc.pop("quadrant")
        ev.pop("quadrant", None)
    kw["location"] = loc
    if not negated:
        kw["associated_features"] = list(d.af)
        kw["views"] = list(d.views)
    else:
        for key in [k for k in ev if k.startswith("associated_features") or k == "views"]:
            ev.pop(key)
    kw["evidence"] = ev
    return kw


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
    r = _Report(p)
    cats = _collect(r)
    n_terms = sum(len(x) for x in r.items)
    if not p.low.isascii() or n_terms * 80 < len(p.low):  # few terms: check the language
        reason = language_reason(p)
        if reason:
            return _empty(reason)
    found = _findings(r)
    comp = _composition(r)
    per, overall = categories.choose(cats, r.scope)
    recs = _recommendations(r)
    comparison, _ = _comparison(r, found)
    indication = _indication(r)
    age = _age(r)
    exam_date = _exam_date(r)

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
        bkw["findings"] = [_build_finding(r, f) for f in found if f.side == side]
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
