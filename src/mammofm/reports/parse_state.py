"""Parsing state shared by the parser's steps: what was found where in one report."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any


from mammofm.birads import FindingKind
from mammofm.birads.lexicon import KIND_DESCRIPTORS

from . import cues
from .segment import Sentence, split
from .textprep import Prepared


FINDING_SECTIONS = frozenset({"findings", "impression"})


DESCRIPTOR_FIELDS = ("shape", "margin", "density", "morphology", "distribution",
                      "asymmetry_type", "implant_material", "implant_position")


LOCATION_FIELDS = ("quadrant", "depth")


CONTINUATION = re.compile(r"^\s*(?:it|this|they|these|which|now|measur\w*|"
                           r"(?:possible\s+|probable\s+|with\s+)?associated|"
                           r"the\s+(?:margins?|lesion|finding|abnormality|shape))(?![a-z])")


ADJ_GAP = re.compile(r"^[\s,]*(?:(?:a|an|and|the|small|large|tiny|subtle|few|several|multiple|"
                      r"two|three|second|another|additional|benign|appearing|suspicious|new|"
                      r"discrete|dominant|solid|partially|partly|well|somewhat|slightly|"
                      r"approx\w*|about|measuring|appearing|ill|of)\s*[,]?\s*)*$")


_FIELD = attrgetter("field")  # of an Item
_KIND = itemgetter(2)  # of a cue (start, end, kind)


#: what an exam title says of its side and modality (``Report._scope``, ``_default_modality``)
_TITLE_SIDE = re.compile(r"(?<![a-z])(right|left|rt|lt)(?![a-z])")
_TITLE_MAMMO = re.compile(r"mammo|(?<![a-z])mg(?![a-z])|tomo|dbt")
_TITLE_US = re.compile(r"(?<![a-z])(?:us|ultrasound|sonograph\w*)(?![a-z])")
_TITLE_MRI = re.compile(r"(?<![a-z])mri(?![a-z])")


# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Item:
    """One thing found in the text: a vocabulary wording, a number, or a cue."""

    start: int
    end: int
    field: str  # lexicon field, or size / clock / distance / bx / rupture / intact / laterality
    value: Any
    text: str = ""


@dataclass(slots=True)
class Draft:
    kind: str
    anchor: Item
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
    clocks: list[Item] = field(default_factory=list)

    def put(self, name: str, value: Any, item: Item) -> None:
        if name not in self.attrs:
            self.attrs[name] = value
            self.ev[name] = (item.start, item.end)


#: finding kind (its value) -> the descriptor fields it may have
_ALLOWED: dict[str, frozenset[str]] = {k.value: frozenset(v) for k, v in KIND_DESCRIPTORS.items()}


def allowed(kind: str, name: str) -> bool:
    """Whether a finding of this kind can have descriptor ``name`` (the schema's table)."""
    names = _ALLOWED.get(kind)
    return name in (KIND_DESCRIPTORS[FindingKind(kind)] if names is None else names)


class Report:
    """Parsing state of one report."""

    def __init__(self, p: Prepared) -> None:
        self.p = p
        self.low = p.low
        self.sents = split(p.low)
        self.starts = [s.start for s in self.sents]
        self.items: list[list[Item]] = [[] for _ in self.sents]
        self.cues: list[list[tuple[int, int, str]]] = [[] for _ in self.sents]
        self.masked: list[tuple[int, int]] = []
        # per sentence, filled once by ``index()`` after collection: the fields of its items,
        # the kinds of its cues, the sides it names ("L", "R", "B")
        self.fields: list[set[str]] = []
        self.cue_kinds: list[set[str]] = []
        self.sides: list[set[str]] = []
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

    def add(self, item: Item) -> None:
        i = self.sent_index(item.start)
        if i is not None:
            self.items[i].append(item)

    def index(self) -> None:
        """Per-sentence summaries of the collected items and cues (read by every field reader
        instead of rescanning the lists)."""
        self.fields = [set(map(_FIELD, lst)) for lst in self.items]
        self.cue_kinds = [set(map(_KIND, lst)) for lst in self.cues]
        self.sides = [{it.value for it in lst if it.field == "laterality" and
                       it.value in ("L", "R", "B")} if "laterality" in f else set()
                      for lst, f in zip(self.items, self.fields)]

    def hinted(self, rx: re.Pattern[str]) -> list[bool]:
        """Per sentence: whether a match of ``rx`` over the whole text overlaps it. For a
        pattern of plain literals (no anchors or lookarounds) every sentence where
        ``rx.search(text_of_sentence)`` succeeds is marked, so an unmarked one can be skipped."""
        out = [False] * len(self.sents)
        starts, sents = self.starts, self.sents
        for m in rx.finditer(self.low):
            a, b = m.span()
            i = bisect.bisect_right(starts, a) - 1
            if i < 0 or a >= sents[i].end:
                i += 1
            while i < len(sents) and sents[i].start < b:
                out[i] = True
                i += 1
        return out

    def is_masked(self, a: int, b: int) -> bool:
        for s, e in self.masked:
            if s <= a and b <= e:
                return True
        return False

    def _scope(self) -> list[str]:
        t = self.title
        if not t or cues.BILATERAL.search(t):
            return ["L", "R"]
        m = _TITLE_SIDE.search(t)
        if m:
            return ["R"] if m.group(1).startswith("r") else ["L"]
        return ["L", "R"]

    def _default_modality(self) -> str:
        t = self.title
        has_mammo = _TITLE_MAMMO.search(t) is not None
        if not has_mammo and _TITLE_US.search(t):
            return "ultrasound"
        if not has_mammo and _TITLE_MRI.search(t):
            return "mri"
        return "mammography"

    def span(self, a: int, b: int) -> tuple[int, int]:
        """A span of the prepared text as offsets into the source text."""
        return (a, b) if self.p.offsets is None else self.p.span(a, b)


def side_of(item: Item) -> str | None:
    if item.field != "laterality":
        return None
    v = str(item.value)
    return v if v in ("L", "R", "B") else None


def nearest_side(items: list[Item], pos: int, end: int | None = None) -> str | None:
    """The side written closest to [pos, end); on a tie, the one written after."""
    end = pos if end is None else end
    best, dist = None, 10**9
    for it in items:
        if it.field != "laterality":  # side_of, inlined: this runs for every item
            continue
        s = str(it.value)
        if s not in ("L", "R", "B"):
            continue
        d = it.start - end if it.start >= end else pos - it.end + 1
        if d < dist:
            best, dist = s, d
    return best


# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class Found:
    side: str
    d: Draft
    impression: bool


def merge_into(target: Draft, src: Draft) -> None:
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


def copy_draft(d: Draft) -> Draft:
    return Draft(d.kind, d.anchor, d.sentence, list(d.sides), d.side_span, d.certainty,
                  d.certainty_span, dict(d.attrs), dict(d.ev), list(d.af), list(d.views),
                  d.modality, d.anaphoric)
