"""Report text before parsing: HTML removed (with an offset map back to the source), one
lower-cased copy of the same length for matching, and the checks that make a record empty
(no text, too long, not English, no report content).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from functools import lru_cache
from dataclasses import dataclass

#: longest text parsed as one report; longer inputs are archives or dumps, not reports
MAX_CHARS = 100_000

_TAG = re.compile(r"<(?:[a-zA-Z][^<>]{0,2000}|/[a-zA-Z][^<>]{0,200}|![^<>]{0,2000}|\?[^<>]{0,200})>")
_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:br|p|div|li|tr|h[1-6]|table|ul|ol|hr)\b", re.I)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,10});")
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)

# same-length character normalisation (quotes, dashes, odd spaces, bullets)
_CHARMAP = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\t": " ", "\r": " ", "\u00d7": "x",
})
_HYPHENS = str.maketrans({"-": " ", "_": " "})

# words that make up most of any English mammography report
_ENGLISH = frozenset("""
a an and are as at be been breast breasts by for from has have in is it of on or the there
this to was were with no not mass masses calcifications calcification density dense right left
bilateral mammogram mammography screening diagnostic findings impression recommendation
birads bi rads category benign negative suspicious follow up ultrasound comparison prior
history clinical patient year old woman exam examination tissue fibroglandular fatty
heterogeneously extremely scattered areas distortion architectural asymmetry lymph node
quadrant upper lower outer inner clock nipple cm mm margins oval round irregular stable
new biopsy recommend recommended routine annual views view seen noted identified present
evidence significant change interval assessment report cc mlo lesion nodule cyst implant
implants composition almost entirely which may obscure small sensitivity lowers shows
""".split())


_EN_FUNCTION = frozenset("the and of in is are no not with there a an to for on at by from this "
                         "or be was were which without".split())
_FOREIGN_FUNCTION = frozenset(
    "de la el los las y en con sin del por para una un es se ni le les des et avec sans une "
    "est pas der die das und mit ohne ist keine nicht ein eine im zu do da com em sem il di "
    "che non het een van met zonder".split())


@dataclass
class Prepared:
    """A report ready for matching. ``low`` and ``norm`` have the length of ``text``."""

    source: str
    text: str
    low: str  # lower case, quotes / dashes / spaces normalised
    norm: str  # ``low`` with hyphens and underscores as spaces (what the vocabulary sees)
    offsets: list[int] | None  # index in ``text`` -> index in ``source`` (None: the same)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """A (start, end) span of ``text`` as offsets into the source text."""
        if self.offsets is None:
            return (start, end)
        n = len(self.offsets)
        s = self.offsets[min(start, n - 1)] if n else 0
        e = self.offsets[min(end - 1, n - 1)] + 1 if n and end > start else s
        return (s, e)


def _strip_html(source: str) -> tuple[str, list[int]]:
    """Text without tags or entities, and where each kept character came from."""
    out: list[str] = []
    where: list[int] = []
    pos = 0
    masked = _SCRIPT.sub(lambda m: " " * len(m.group()), source)
    for m in re.finditer(f"{_TAG.pattern}|{_ENTITY.pattern}", masked):
        chunk = masked[pos:m.start()]
        out.append(chunk)
        where.extend(range(pos, m.start()))
        token = m.group()
        if token.startswith("&"):
            rep = html.unescape(token)
        elif masked[m.start():m.end()].strip() == "":
            rep = " "
        else:
            rep = "\n" if _BLOCK_TAG.match(token) else " "
        out.append(rep)
        where.extend([m.start()] * len(rep))
        pos = m.end()
    out.append(masked[pos:])
    where.extend(range(pos, len(source)))
    return "".join(out), where


def looks_like_html(text: str) -> bool:
    return "<" in text and _TAG.search(text) is not None or "&nbsp;" in text


def prepare(source: str) -> Prepared:
    """Clean one report for matching (HTML-aware, offsets kept)."""
    offsets: list[int] | None = None
    text = source
    if looks_like_html(source):
        text, offsets = _strip_html(source)
    low = text.lower()
    if len(low) != len(text):  # a few characters lower-case to two; keep one-to-one offsets
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    low = low.translate(_CHARMAP)
    return Prepared(source, text, low, low.translate(_HYPHENS), offsets)


_WORD = re.compile(r"[^\W\d_]{2,}")
_LETTER = re.compile(r"[^\W\d_]")
_NON_ASCII_LETTER = re.compile(r"[^\W\d_a-z]")


@lru_cache(maxsize=1)
def _report_words() -> frozenset[str]:
    """Every word of the parser's vocabulary, plus report shorthand."""
    from .vocab import table

    words = {w for form in table() for w in form.split()}
    return frozenset(words | {"mg", "bil", "bilat", "neg", "rtn", "dens", "hx", "lt", "rt",
                              "us", "mri", "dbt", "cad", "yo", "fn", "oclock", "clock"})


def empty_reason(source: object, prepared: Prepared | None = None) -> str | None:
    """Why a text cannot be read as a report (None when it can)."""
    if not isinstance(source, str):
        return f"not text: got {type(source).__name__}"
    if not source.strip():
        return "empty text"
    if len(source) > MAX_CHARS:
        return (f"text is {len(source):,} characters long, over the {MAX_CHARS:,}-character "
                f"limit for one report (an archive or a dump, not a report)")
    if prepared is None:
        return None
    if not prepared.text.strip():
        return "no text left after removing HTML markup"
    return language_reason(prepared)


def language_reason(prepared: Prepared) -> str | None:
    """Why a prepared text is not an English report (None when it is)."""
    head = prepared.low[:20_000]
    if not head.isascii():
        n_letters = len(_LETTER.findall(head))
        foreign_letters = len(_NON_ASCII_LETTER.findall(head))
        if n_letters and foreign_letters / n_letters > 0.3:
            return (f"not English: {foreign_letters} of {n_letters} letters are outside the "
                    f"Latin alphabet")
    words = _WORD.findall(head)
    if not words:
        return "no words in the text"
    n = len(words)
    counts = Counter(words)
    vocab_words = _ENGLISH | _report_words()
    known = sum(c for w, c in counts.items() if w in vocab_words)
    non_ascii = sum(c for w, c in counts.items() if not w.isascii())
    english = sum(c for w, c in counts.items() if w in _EN_FUNCTION)
    foreign = sum(c for w, c in counts.items() if w in _FOREIGN_FUNCTION)
    if n >= 4 and (non_ascii / n > 0.3 or foreign > max(english, 1) or
                   (n >= 8 and known / n < 0.15)):
        return (f"not English: {english} English and {foreign} other-language function "
                f"words, {known} of {n} words known to the parser")
    return None
