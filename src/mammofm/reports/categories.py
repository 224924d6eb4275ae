"""BI-RADS assessment categories in free text, and which of them is this exam's.

Recognised: "BI-RADS 4a", "BIRADS: 2 - Benign", "Category 4: Suspicious", "BI-RADS CATEGORY
M/5", "ACR BI-RADS 3", Roman numerals ("Birads V", "IVb"), typos ("BI-RASDS 0"). Not
categories: a letter after the token (density: "BIRADS C parenchymal density"), the UK M/U
scale, pathology B-codes, tumour grades, AI or risk scores. Each mention is tagged prior
("her prior mammogram was BI-RADS 1"), hypothetical ("if new, BI-RADS 4"), a question
("Birads I or II or zero ?"), overall/final, and by side; ``choose`` applies the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mammofm.birads import Assessment, combine_assessments

_VALUE = (r"(?P<v>[0-6](?:\s?[abc](?![a-z]))?|iv\s?[abc](?![a-z])|vi|iv|v|i{1,3}|zero|one|two|"
          r"three|four|five|six)(?![a-z0-9])")
_TOKEN = r"(?:acr\s*[-/]?\s*)?bi\s*-?\s*r[a-z]{1,3}s(?:\s*\(r\))?|birads|bi-rads"
CATEGORY_RE = re.compile(
    rf"(?=[abc])(?<![a-z])(?P<tok>{_TOKEN})(?:\s*(?:final|overall|assessment|category|categories|"
    rf"classification|class|cat\.?|score|grade))*\s*[:=#\-(]*\s*(?:[mu]\s*/\s*)?{_VALUE}"
    rf"|(?<![a-z])(?<!density )(?<!composition )(?P<cat>category|cat\.)\s*[:#\-]?\s*"
    rf"(?P<v2>[0-6](?:\s?[abc](?![a-z]))?|iv\s?[abc]?|vi|iv|v|i{{1,3}})(?![a-z0-9])"
)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "zero": "0",
          "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6"}
_OR_MORE = re.compile(r"\s*(?:or|/)\s*(?:[0-6]|i{1,3}|iv|v|vi|zero)(?![a-z0-9])|\s*\?")
_OVERALL = re.compile(r"(?<![a-z])(?:overall|final|combined|revised|summary)(?![a-z])")


def value_of(raw: str) -> Assessment | None:
    """'4a' / 'IVb' / 'v' / 'zero' -> Assessment."""
    s = raw.replace(" ", "").lower()
    letter = ""
    if s[-1:] in "abc" and len(s) > 1 and s[:-1] in ("4", "iv"):
        s, letter = s[:-1], s[-1].upper()
    num = _ROMAN.get(s, s)
    try:
        return Assessment(num + letter)
    except ValueError:
        return None


@dataclass(slots=True)
class CategoryMention:
    value: Assessment
    start: int
    end: int  # end of the category token + value
    prior: bool = False
    hypothetical: bool = False
    question: bool = False
    overall: bool = False
    addendum: bool = False
    side: str | None = None  # "L", "R", "B" (both) or None

    @property
    def current(self) -> bool:
        return not (self.prior or self.hypothetical or self.question)


#: where a mention can start: every CATEGORY_RE match begins, after no letter, with "acr",
#: "cat" or "bi" and an "r" ("bi-rads", "birads", "bi rasds"). This pattern opens on literals
#: and is searched in C, so the full pattern runs only at those few places (same matches as
#: ``CATEGORY_RE.finditer``, several times faster; "bilateral", "biopsy" are passed over).
_STARTS = re.compile(r"bi(?<![a-z]..)(?=\s*-?\s*r)|acr(?<![a-z]...)|cat(?<![a-z]...)")


def _mentions(low: str) -> list[re.Match[str]]:
    out: list[re.Match[str]] = []
    end = 0
    match = CATEGORY_RE.match
    for c in _STARTS.finditer(low):
        at = c.start()
        if at < end:
            continue
        m = match(low, at)
        if m is not None:
            out.append(m)
            end = m.end()
    return out


def find(low: str) -> list[CategoryMention]:
    """Every category mention of a lower-cased report (context flags filled by the parser)."""
    out = []
    for m in _mentions(low):
        raw = m.group("v") or m.group("v2")
        val = value_of(raw)
        if val is None:
            continue
        end = m.end()
        q = _OR_MORE.match(low, end)
        out.append(CategoryMention(val, m.start(), end, question=q is not None))
    return out


def choose(mentions: list[CategoryMention], scope: list[str]
           ) -> tuple[dict[str, tuple[Assessment, CategoryMention]],
                      tuple[Assessment, CategoryMention] | None]:
    """This exam's category per breast and overall, from tagged mentions.

    Rules: prior, hypothetical and questioned mentions do not count; an addendum's
    categories replace the report's; per breast, the most worrisome current mention of that
    side (for a one-breast exam the unsided ones too, unless marked overall); overall, the last one marked
    overall/final, else the most worrisome current one of any side.
    """
    cur = [m for m in mentions if m.current]
    if any(m.addendum for m in cur):
        cur = [m for m in cur if m.addendum]
    per: dict[str, tuple[Assessment, CategoryMention]] = {}
    for side in ("L", "R"):
        ms = [m for m in cur if m.side in (side, "B") or
              (m.side is None and scope == [side] and not m.overall)]
        best = combine_assessments(m.value for m in ms)
        if best is not None:
            per[side] = (best, next(m for m in reversed(ms) if m.value == best))
    explicit = [m for m in cur if m.overall]
    if explicit:
        return per, (explicit[-1].value, explicit[-1])
    best = combine_assessments(m.value for m in cur)
    if best is None:
        return per, None
    return per, (best, next(m for m in reversed(cur) if m.value == best))


def is_overall(context_before: str) -> bool:
    return _OVERALL.search(context_before) is not None
