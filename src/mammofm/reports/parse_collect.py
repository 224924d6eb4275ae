"""Parser step 1: find every term, cue, number and category of a report, sentence by sentence."""

from __future__ import annotations

import bisect
import datetime as dt
import re

from . import categories, cues, vocab
from .parse_state import Item, Report, nearest_side


# ---------------------------------------------------------------------------------------------
def collect(r: Report) -> list[categories.CategoryMention]:
    low, norm = r.p.low, r.p.norm
    cats = categories.find(low)
    vocab_hits = vocab.hits(norm)
    if cats:
        _mask_categories(r, cats, vocab_hits)
    _file_vocabulary(r, vocab_hits)
    for m in cues.PUNCT_CUE_RE.finditer(low):
        i = r.sent_index(m.start())
        if i is not None:
            r.cues[i].append((m.start(), m.end(), m.lastgroup or ""))
    for m in cues.NUMERIC_RE.finditer(low):
        _add_number(r, m)
    for lst in r.items:
        if len(lst) > 1:
            lst.sort(key=_item_order)
    for lst in r.cues:
        if len(lst) > 1:
            lst.sort()
    r.index()
    for c in cats:
        _tag_category(r, c)
    return cats


def _item_order(it: Item) -> tuple[int, int]:
    return (it.start, -it.end)


_MASK_GAP = frozenset(" :-(),\u2013")


def _mask_categories(r: Report, cats: list[categories.CategoryMention],
                     vocab_hits: list[tuple[int, int, str]]) -> None:
    """The category and the wording after it ("4: Suspicious") are not findings or advice."""
    low = r.low
    starts = [h[0] for h in vocab_hits]
    n, n_hits = len(low), len(vocab_hits)
    for c in cats:
        end = c.end
        while True:
            j = end
            while j < n and low[j] in _MASK_GAP:
                j += 1
            k = bisect.bisect_left(starts, j) if j - end <= 4 else n_hits
            if k < n_hits and starts[k] == j and "assessment" in vocab.fields_of(vocab_hits[k][2]):
                end = vocab_hits[k][1]
            else:
                break
        r.masked.append((c.start, end))


def _file_vocabulary(r: Report, vocab_hits: list[tuple[int, int, str]]) -> None:
    """Each hit into its sentence: cues to ``r.cues``, terms (outside masks) to ``r.items``.
    Hits come in text order: walk sentences and masked spans alongside instead of searching."""
    sents, items, cue_lists = r.sents, r.items, r.cues
    masks = sorted(r.masked)
    si, mi, n_s, n_m = 0, 0, len(sents), len(masks)
    if not n_s:
        return
    meanings = vocab.meanings
    s_start, s_end = sents[0].start, sents[0].end
    for s, e, t in vocab_hits:
        if s_end <= s:
            si += 1
            while si < n_s and sents[si].end <= s:
                si += 1
            if si >= n_s:
                break
            s_start, s_end = sents[si].start, sents[si].end
        if s < s_start:
            continue  # inside a header, between sentences
        cue_kinds, terms = meanings(t)
        for v in cue_kinds:
            cue_lists[si].append((s, e, v))
        if not terms:
            continue
        if n_m:
            while mi < n_m and masks[mi][1] < e:
                mi += 1
            masked = mi < n_m and masks[mi][0] <= s and e <= masks[mi][1]
            # masks are sorted by start: a later one can contain the hit only if it starts by s
            if not masked and mi + 1 < n_m and masks[mi + 1][0] <= s:
                masked = any(a <= s and e <= b for a, b in masks[mi:mi + 3])
            if masked:
                continue
        lst = items[si]
        for f, v in terms:
            lst.append(Item(s, e, f, v, t))


_NPLUS = re.compile(r"([\d.]+)\s*([a-z]*)")
_AGE_LEAD = re.compile(r"(?<![a-z])(?:age|aged|patient is)\s*:?\s*$")


def _add_number(r: Report, m: re.Match[str]) -> None:
    """One match of ``cues.NUMERIC_RE`` as a date, clock face, distance, size or age item."""
    low = r.low
    kind = m.lastgroup
    a, b = m.start(), m.end()
    if kind in ("iso", "slash", "dmy"):
        d = parse_date(kind, m.group())
        if d is not None:
            r.add(Item(a, b, "date", d))
    elif kind in ("range", "clock", "clockc", "clockd"):
        val = clock_value(m.group(), kind == "range")
        if val is not None:
            r.add(Item(a, b, "clock", val))
    elif kind == "dist":
        unit = m.group("du") or "cm"
        val = float(m.group("da")) / (10.0 if unit.startswith("m") else 1.0)
        if 0 <= val <= 30:
            r.add(Item(a, b, "distance", val))
    elif kind == "size":
        if cues.NOT_SIZE_AFTER.match(low, b) or cues.NOT_SIZE_BEFORE.search(low, max(0, a - 30), a):
            return
        nums = [float(x) for x in (m.group("a"), m.group("b"), m.group("c")) if x]
        mm = max(nums) * (10.0 if m.group("u").startswith("c") else 1.0)
        if 0 < mm <= 300:
            r.add(Item(a, b, "size", round(mm, 1)))
    elif kind == "age":
        r.add(Item(a, b, "age", int(_DATE_NUMS.match(m.group()).group())))  # type: ignore[union-attr]
    elif kind == "nplus":
        raw, unit = _NPLUS.match(m.group()).groups()  # type: ignore[union-attr]
        val = float(raw) / (10.0 if unit.startswith("m") else 1.0)
        if 0 <= val <= 30:
            r.add(Item(a - 2, b, "distance", val))
    elif kind == "lth":
        side = cues.SIDE_BEFORE.search(low, max(0, a - 4), a)
        val = clock_hours(_DATE_NUMS.match(m.group()).group(), None)  # type: ignore[union-attr]
        if side is not None and val is not None:
            r.add(Item(side.start(), b, "clock", val))
            r.add(Item(side.start(), side.end(), "laterality",
                       "R" if side.group(1).startswith("r") else "L"))
    elif kind == "mdy":
        mon = cues.MONTH_BEFORE.search(low, max(0, a - 12), a)
        if mon is not None:
            d = parse_date("mdy", low[mon.start():b])
            if d is not None:
                r.add(Item(mon.start(), b, "date", d))
    elif kind == "agew":
        if _AGE_LEAD.search(low[max(0, a - 14):a]):
            r.add(Item(a, b, "age", int(m.group())))


_PRIOR_BEFORE = re.compile(
    r"(?<![a-z])(?:prior|previous|previously|was|were|history\s+of|last\s+year)(?![a-z])")
_HYPOTHETICAL_BEFORE = re.compile(r"(?<![a-z])(?:if|would|could|unless)(?![a-z])")


def _tag_category(r: Report, c: categories.CategoryMention) -> None:
    """Context flags of one category mention: prior, hypothetical, overall, addendum, side."""
    i = r.sent_index(max(c.start, c.end - 1))
    if i is None:
        return
    s = r.sents[i]
    before = r.low[s.start:c.start]
    c.addendum = s.addendum
    c.prior = s.section in ("history", "comparison", "technique") or \
        _PRIOR_BEFORE.search(before) is not None
    c.hypothetical = _HYPOTHETICAL_BEFORE.search(before) is not None
    c.overall = categories.is_overall(before) or categories.is_overall(s.header)
    c.side = nearest_side(r.items[i], c.start) or s.side


_CLOCK_PARTS = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?")


def clock_value(text: str, is_range: bool) -> float | None:
    parts = _CLOCK_PARTS.findall(text)
    if not parts:
        return None
    if not is_range:
        return clock_hours(parts[0][0], parts[0][1] or None)
    h1 = clock_hours(parts[0][0], parts[0][1] or None)
    h2 = clock_hours(parts[1][0], parts[1][1] or None) if len(parts) > 1 else None
    if h1 is None or h2 is None:
        return None
    if h2 < h1:
        h2 += 12
    val = (h1 + h2) / 2
    val = val - 12 if val > 12 else val
    return 12.0 if val == 0 else val


_DATE_NUMS = re.compile(r"\d+")


_DATE_MON = re.compile(r"[a-z]{3}")


def parse_date(kind: str, text: str) -> dt.date | None:
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


def clock_hours(h: str | None, m: str | None) -> float | None:
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
