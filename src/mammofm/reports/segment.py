"""Split a report into sections, blocks and sentences.

Section headers ("FINDINGS:", "Impression:", "COMP:", inline after a comma when line breaks
were flattened), side headers ("RIGHT BREAST:", "Lt:") and modality headers ("Ultrasound:")
set the context of the sentences that follow. The first sentence is the exam title when it reads
like one ("Bilateral screening mammogram") and the report does not open with a header. An addendum stays an addendum whatever headers it contains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# section kind -> header wordings (lower case; hyphens allowed where written)
_SECTION_HEADERS: dict[str, str] = {
    "title": r"exam(?:ination)?|procedure|study|exam type|examination type",
    "history": r"clinical(?: history| details| information| indications?| data| notes?)?|"
               r"history|hx|indications?|reason(?: for (?:exam|study|examination))?",
    "technique": r"technique|protocol",
    "comparison": r"comparisons?|comp|priors?|prior (?:studies|exams?|examinations?)",
    "findings": r"findings?|report|description|comments?|screening portion|"
                r"diagnostic portion|breast (?:composition|density|tissue)|composition|"
                r"density|dens|parenchymal pattern|mammographic findings|ultrasound findings",
    "impression": r"impressions?|conclusions?|opinion|assessment|final assessment|"
                  r"overall(?: assessment| impression)?|summary|bi[- ]?rads(?: assessment| category)?|"
                  r"radiologist(?:'s)? assessment|diagnosis|final impression",
    "recommendation": r"recommendations?|plan|advice|management|follow[- ]?up",
    "addendum": r"addend(?:um|a)",
}
_MODALITY_HEADERS: dict[str, str] = {
    "mammography": r"mammogram|mammography|mammo|mammographic",
    "ultrasound": r"ultrasound|us|sonography|breast ultrasound|targeted ultrasound",
    "mri": r"mri|breast mri",
    "tomosynthesis": r"tomosynthesis|dbt",
}
#: longest stretch handled as one sentence (keeps the per-sentence work bounded)
MAX_SENTENCE = 1500
#: sections that end with their line when the header has text after it on that line
_LINE_SECTIONS = frozenset({"title", "history", "technique", "comparison"})
_SIDE_HEADER = r"(?P<side>right|left|rt|lt|r|l)(?: breast)?"

_LEAD = r"[ ]*(?:[-*\u2022>]+[ ]*|\(?\d{1,2}[.)][ ]+|\[[ x]?\][ ]*)?"
_TAIL = r"(?:[ ]*\([^()\n]{0,40}\))?[ ]*:"
#: a header is the whole stretch from a line start (or a , . ; before it) to its colon
_HEADER_RE = re.compile(
    _LEAD + "(?:"
    + "|".join(f"(?P<{k}>(?:{v}))" for k, v in _SECTION_HEADERS.items()) + "|"
    + "|".join(f"(?P<mod_{k}>(?:{v}))" for k, v in _MODALITY_HEADERS.items()) + "|"
    + _SIDE_HEADER + ")" + _TAIL
)
#: sentence breaks in one pass (one character class first: the engine skips to them in C):
#: ; ! bullet and line break always; "?" before a space, quote, comma or the end; "." before a space, tab, line break, quote, comma or the end and not
#: after another dot, a space or a line break (an ellipsis). A "." after a letter that can end
#: an abbreviation ("dr.", "e.g.") is the ``ab`` group and checked in Python (``_is_abbrev``).
_BREAKS = re.compile(r"[;!\u2022\n.?](?:(?<=\?)(?=[\s\",]|$)"
                     r"|(?<=[rstfgxe]\.)(?=[ \n\t\",]|$)(?P<ab>)"
                     r"|(?<=\.)(?<![. \n].)(?=[ \n\t\",]|$)|(?<![.?]))")
_ALNUM = re.compile(r"[^\W_]")
#: what an exam title says (a first sentence without any of these is already the report)
_TITLE_WORDS = re.compile(r"mammo|ultrasound|sonograph|(?<![a-z])(?:us|mg|mri|dbt|cad)(?![a-z])|"
                          r"tomosynthesis|screening|diagnostic|exam|bilateral|report|imaging|"
                          r"study|clinic|programme|program|views")
_EXAM_WORDS = re.compile(r"mammo|ultrasound|sonograph|(?<![a-z])(?:us|mg|mri|dbt)(?![a-z])|"
                         r"tomosynthesis|exam|study")
_FINDING_WORDS = re.compile(r"mass|calcif|asymmetr|distortion|implant|node|lesion|nodule|cyst")
_ABBREV = frozenset({"dr", "vs", "st", "cf", "mr", "ms", "fig", "approx", "e.g", "i.e"})
_ABBREV_LEN = max(map(len, _ABBREV))
#: what a sentence opens with that is not part of it: quotes, dashes, colons, a list number
#: (the leading characters first, then a bullet; the bullet's own spaces and marks are
#: among those characters, so only a number can follow them)
_LEADING_CHARS = frozenset(" \t\"'-*>:,")
_LIST_NUMBER = re.compile(r"\(?\d{1,2}[.)][ ]+").match


def _headers(low: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, value) of every header: found from colons, checked backwards."""
    out = []
    fullmatch = _HEADER_RE.fullmatch
    rfind = low.rfind
    pos = low.find(":")
    while pos != -1:
        if not low[pos + 1:pos + 2].isdigit():
            # (the header pattern opens on optional spaces: starting at the stretch start
            # covers a header after leading spaces too)
            # (only the last 70 characters can hold the stretch start: search just those)
            lo = max(pos - 70, 0)
            a = max(lo, rfind("\n", lo, pos) + 1, rfind(".", lo, pos) + 1,
                    rfind(",", lo, pos) + 1, rfind(";", lo, pos) + 1)
            m = fullmatch(low, a, pos + 1)
            if m is not None:
                kind = m.lastgroup or ""
                if kind == "side":
                    out.append((m.start(), m.end(), "side", _side(m.group("side"))))
                elif kind.startswith("mod_"):
                    out.append((m.start(), m.end(), "modality", kind[4:]))
                else:
                    out.append((m.start(), m.end(), "section", kind))
        pos = low.find(":", pos + 1)
    return out


def _blank_ahead(low: str, i: int) -> bool:
    """The line starting at ``i`` is blank: spaces or tabs, then a line break, within 200
    characters."""
    stop = min(i + 200, len(low))
    while i < stop and low[i] in " \t":
        i += 1
    return i < stop and low[i] == "\n"


def _is_abbrev(low: str, i: int) -> bool:
    """The "." at ``i`` ends an abbreviation ("dr.", "approx.", "e.g.")."""
    j = i
    # no abbreviation is longer than _ABBREV_LEN: a run of letters walked back further than
    # that is a plain word either way (the piece kept is then too long to be one)
    stop = max(0, i - _ABBREV_LEN - 1)
    while j > stop and (low[j - 1].isalpha() or low[j - 1] == "."):
        j -= 1
    return low[j:i] in _ABBREV


@dataclass(slots=True)
class Sentence:
    """One sentence with the context its headers give it."""

    start: int
    end: int
    section: str  # title history technique comparison findings impression recommendation
    header: str  # the section header as written (lower case), "" if none
    addendum: bool
    block: int  # paragraph number: blank lines and headers start a new one
    side: str | None  # "L" / "R" from a side header in force
    modality: str | None  # from a modality header in force


def _side(word: str) -> str:
    return "R" if word.startswith("r") else "L"


def split(low: str) -> list[Sentence]:
    """Sentences of a prepared (lower-cased) report, in order."""
    events = _headers(low)
    breaks = []
    for m in _BREAKS.finditer(low):
        if m.lastgroup is None or not _is_abbrev(low, m.start()):
            breaks.append(m.start())
    out: list[Sentence] = []
    section, header, addendum, block = "findings", "", False, 0
    side: str | None = None
    side_line = False  # side header with text after it on its line: ends with the line
    modality: str | None = None
    mod_line = False
    section_line = False
    section_inline = False
    first_header_at = events[0][0] if events else len(low)
    title_open = low[:first_header_at].strip() != ""
    n = len(low)

    def emit(a: int, b: int) -> None:
        nonlocal title_open
        if b - a < 2:  # stripping only shortens it
            return
        while a < b and low[a] in _LEADING_CHARS:
            a += 1
        if a < b and (low[a] == "(" or low[a].isdigit()):
            m = _LIST_NUMBER(low, a, b)
            if m is not None:
                a = m.end()
        while b > a and low[b - 1] in " \t,:":
            b -= 1
        # (a sentence nearly always opens on a letter: test that before searching)
        if b - a < 2 or not low[a].isalnum() and _ALNUM.search(low, a, b) is None:
            return
        while b - a > MAX_SENTENCE:  # no real sentence is this long: cut at a space
            cut = low.rfind(" ", a + MAX_SENTENCE // 2, a + MAX_SENTENCE)
            cut = cut if cut > a else a + MAX_SENTENCE
            out.append(Sentence(a, cut, section, header, addendum, block, side, modality))
            a = cut + 1
        sec = section
        if title_open:
            if _TITLE_WORDS.search(low, a, b) and (
                    _EXAM_WORDS.search(low, a, b) or not _FINDING_WORDS.search(low, a, b)):
                sec = "title"
            title_open = False
        out.append(Sentence(a, b, sec, header, addendum, block, side, modality))

    # walk breaks and headers in order (a break before a header at the same place)
    pos = 0
    bi, hi, nb, nh = 0, 0, len(breaks), len(events)
    while bi < nb or hi < nh:
        if hi < nh and (bi >= nb or events[hi][0] < breaks[bi]):
            ev = events[hi]
            hi += 1
            if ev[0] < pos:
                continue
        else:
            at = breaks[bi]
            bi += 1
            if at < pos:
                continue
            ch = low[at]
            if ch == ".":
                if at + 1 - pos >= 2:
                    emit(pos, at + 1)
            elif at - pos >= 2:
                emit(pos, at)
            if ch == "\n":
                if side_line:
                    side, side_line = None, False
                if mod_line:
                    modality, mod_line = None, False
                if section_line:  # "HISTORY: ..." covers its own line only
                    section, header, section_line = "findings", "", False
                    block += 1
                if _blank_ahead(low, at + 1):
                    block += 1
            elif section_line and section_inline:
                # "... Comparison: none. No mass ...": a mid-line header covers one sentence
                section, header, section_line = "findings", "", False
                block += 1
            pos = at + 1
            continue
        start, end, kind, value = ev
        emit(pos, start)
        nl = low.find("\n", end)
        rest = low[end:nl if nl != -1 else n].strip()
        if kind == "section":
            title_open = False
            if value == "addendum":
                addendum = True
            elif not (addendum and value == "title"):
                section = value
            section_line = bool(rest) and value in _LINE_SECTIONS
            line_start = low.rfind("\n", 0, start) + 1
            section_inline = low[line_start:start].strip(" \t-*\u2022") != "" and \
                low[max(line_start, start - 2):start].strip()[-1:] in (".", ";")
            header = low[start:end].strip(" :-*\u2022\n")
            side, side_line, modality, mod_line = None, False, None, False
            block += 1
        elif kind == "side":
            side, side_line = value, bool(rest)
            if not rest:
                block += 1
        else:
            modality, mod_line = value, bool(rest)
        pos = end
    emit(pos, n)
    return out
