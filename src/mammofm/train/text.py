"""Per-breast report text and sentence-level text augmentation for CLIP pretraining.

Decision: the text of a breast is cut from the report itself with simple rules, so the same code
serves real free-text reports and the synthetic ones. Only the findings / impression part is
kept (sections such as history, comparison, technique and recommendation are dropped when the
report has headers). A sentence goes to the breast its side words name (the lexicon's
laterality terms), to the breast of the side header it sits under ("RIGHT BREAST:"), or to both
breasts when it names neither or both (density, "no mass in either breast", final assessment).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

#: section headers (a line "HEADER: ..." matched case-insensitively) whose text describes the
#: images: kept. Sections under DROP_SECTIONS are left out; any other "label:" is inline text.
KEEP_SECTIONS: frozenset[str] = frozenset({
    "findings", "impression", "report", "conclusion", "conclusions", "assessment",
    "final assessment", "opinion", "result", "results", "summary", "overall impression",
})
DROP_SECTIONS: frozenset[str] = frozenset({
    "exam", "examination", "procedure", "study", "clinical history", "history", "clinical details",
    "clinical information", "clinical indication", "indication", "indications", "reason for exam",
    "technique", "comparison", "comparisons", "recommendation", "recommendations", "advice",
    "follow-up", "follow up", "plan", "date", "date of exam", "signed", "electronically signed by",
})
_HEADER = re.compile(r"^\s*([A-Za-z][A-Za-z /&-]{1,40}):\s*(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_BOTH = re.compile(r"\b(?:bilateral(?:ly)?|both breasts|either breast|each breast)\b", re.I)


@lru_cache(maxsize=1)
def _side_patterns() -> dict[str, re.Pattern[str]]:
    """Word patterns for each side, from the lexicon's laterality phrase and synonyms (forms of
    one letter, like "l", are too ambiguous in prose and are left out)."""
    from mammofm.birads import lexicon

    out = {}
    for t in lexicon.terms("laterality"):
        forms = sorted({f.lower() for f in (t.phrase, *t.synonyms) if len(f) > 1}, key=len,
                       reverse=True)
        out[str(t.value)] = re.compile(r"\b(?:" + "|".join(map(re.escape, forms)) + r")\b", re.I)
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences (and list items) of a text, stripped, empty ones dropped."""
    out = []
    for piece in _SENTENCE_END.split(text or ""):
        piece = _BULLET.sub("", piece).strip()
        if piece and re.search(r"\w", piece):
            out.append(piece)
    return out


def sentence_sides(sentence: str) -> set[str]:
    """Sides a sentence is about: {"L"}, {"R"}, or both (named both, or neither)."""
    pats = _side_patterns()
    named = {side for side, p in pats.items() if p.search(sentence)}
    if len(named) == 1 and not _BOTH.search(sentence):
        return named
    return set(pats)


def split_report_by_side(text: str) -> dict[str, str]:
    """{"L": text of the left breast, "R": text of the right breast} (see module doc)."""
    sides = list(_side_patterns())
    parts: dict[str, list[str]] = {s: [] for s in sides}
    has_headers = any(_is_section(m.group(1)) for line in (text or "").splitlines()
                      if (m := _HEADER.match(line)))
    keep = not has_headers
    context: set[str] | None = None  # a side sub-header ("RIGHT BREAST:" alone on its line)
    for line in (text or "").splitlines():
        m = _HEADER.match(line)
        line_side: set[str] | None = None
        if m and _is_section(m.group(1)):
            keep = m.group(1).strip().lower() in KEEP_SECTIONS
            context = None
            line = m.group(2)
        elif m and (side := _side_header(m.group(1))) is not None:
            if m.group(2).strip():
                line_side = {side}  # "Left breast: BI-RADS 1." is about that line only
            else:
                context = {side}  # a sub-header: the lines under it are about that side
        elif not line.strip():
            context = None
        if not keep:
            continue
        for s in split_sentences(line):
            where = sentence_sides(s)
            scope = line_side or context
            if scope is not None and len(where) == len(sides):
                where = scope
            for side in where:
                parts[side].append(s)
    return {s: " ".join(v) for s, v in parts.items()}


def _side_header(name: str) -> str | None:
    """"Right breast" / "LT" as a sub-header -> its side; anything else -> None."""
    words = name.strip().lower().split()
    if not words or len(words) > 2 or (len(words) == 2 and words[1] != "breast"):
        return None
    for side, p in _side_patterns().items():
        if p.fullmatch(words[0]):
            return side
    return None


def _is_section(name: str) -> bool:
    """A known section header (not a side sub-header, not an inline label like "Density:")."""
    n = " ".join(name.strip().lower().split())
    return n in KEEP_SECTIONS or n in DROP_SECTIONS


def augment_sentences(text: str, rng: np.random.Generator, drop_prob: float = 0.2,
                      shuffle: bool = True) -> str:
    """Sentence-level augmentation: drop each sentence with ``drop_prob`` (never all of them),
    then shuffle their order."""
    sents = split_sentences(text)
    if not sents:
        return text
    kept = [s for s in sents if rng.random() >= drop_prob] or [sents[int(rng.integers(len(sents)))]]
    if shuffle:
        kept = [kept[i] for i in rng.permutation(len(kept))]
    return " ".join(kept)
