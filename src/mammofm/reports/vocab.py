"""The parser's vocabulary: every lexicon wording, compiled into one word-trie regex.

One pass of one compiled pattern finds every term in a report (longest match wins, so
"fine linear" is a morphology, not the distribution "linear"); a table maps each matched
wording to the (field, value) pairs it can mean, and the parser resolves the rest by context.

Every wording comes from ``mammofm.birads.lexicon`` (phrases, synonyms and legacy forms: the one
lexicon); this module only decides how the parser matches them and which ones are too
ambiguous to act on alone.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mammofm.birads import lexicon

#: fields whose wordings the parser looks for
FIELDS: tuple[str, ...] = (
    "laterality", "view", "composition", "kind", "asymmetry_type", "shape", "margin", "density",
    "morphology", "distribution", "associated_feature", "quadrant", "depth", "stability",
    "pathology", "modality", "indication", "recommendation", "implant_material",
    "implant_position", "assessment",
)

# ---- parser heuristics over the lexicon's wordings (how a wording is used, not what it means)
#: nouns that name a mass by its likely diagnosis; they open a finding only when nothing else does
WEAK_MASS_NOUNS: frozenset[str] = frozenset({
    "cyst", "cysts", "fibroadenoma", "fibroadenomas", "lipoma", "hamartoma", "opacity",
})
#: lexicon wordings too ambiguous to open a finding on their own ("calcified lymph node",
#: "breast density"); they still count as what they are inside longer wordings
NOT_ANCHORS: frozenset[str] = frozenset({"calcified", "density", "densities"})
#: single-word recommendation wordings that are also plain nouns of a report body
AMBIGUOUS_RECOMMENDATIONS: frozenset[str] = frozenset({"ultrasound", "biopsy", "mri",
                                                       "sonography"})
# ---------------------------------------------------------------------------------------------

# wordings never used for matching (handled by dedicated patterns, or pure noise)
_SKIP_FORMS: dict[str, frozenset[str]] = {
    "laterality": frozenset({"l", "r"}),
    "view": frozenset({"at", "spot", "mag", "oblique"}),
    "quadrant": frozenset({"12 o'clock axis"}),
    "modality": frozenset({"us"}),
}


def norm_form(form: str) -> str:
    """A wording as the matcher sees it: lower case, hyphens as spaces, single spaces."""
    s = form.lower().replace("\u2019", "'").replace("-", " ").replace("_", " ")
    return re.sub(r"\s+", " ", s).strip(" .,:;")


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[tuple[str, str], ...]]:
    """Normalised wording -> the (field, value) pairs it can mean."""
    out: dict[str, list[tuple[str, str]]] = {}
    for field in FIELDS:
        skip = _SKIP_FORMS.get(field, frozenset())
        # every written wording of every value (not the bare enum values: "1", "a", ...)
        forms = {f.lower(): t.value for t in lexicon.terms(field) for f in t.surface_forms}
        for form, value in forms.items():
            if form in skip:
                continue
            key = norm_form(form)
            if not key:
                continue
            pairs = out.setdefault(key, [])
            if (field, value) not in pairs:
                pairs.append((field, value))
    # "spot compression views", "magnification views" advise a view and also name it
    view_forms = [k for k, v in out.items() if any(f == "view" for f, _ in v) and len(k) > 3]
    for key, pairs in out.items():
        for vf in view_forms:
            if key.startswith(vf + " view") and not any(f == "view" for f, _ in pairs):
                pairs.extend(p for p in out[vf] if p[0] == "view")
    # ConText triggers and both-sides wordings share the one pass
    from .cues import BOTH_SIDES, CUE_PHRASES

    for kind, phrases in CUE_PHRASES.items():
        for ph in phrases:
            pairs = out.setdefault(norm_form(ph), [])
            if ("cue", kind) not in pairs:
                pairs.append(("cue", kind))
    for ph in BOTH_SIDES:
        out.setdefault(norm_form(ph), []).append(("laterality", "B"))
    for ph, side in (("r breast", "R"), ("l breast", "L")):
        out.setdefault(ph, []).append(("laterality", side))
    # "return to routine screening", "recall for additional imaging": advice by their wording
    rec_words = set(CUE_PHRASES["rec"])
    for key, pairs in out.items():
        if rec_words.intersection(key.split(" ")) and \
                any(f == "recommendation" for f, _ in pairs) and ("cue", "rec") not in pairs:
            pairs.append(("cue", "rec"))
    for noun in WEAK_MASS_NOUNS:
        out.setdefault(noun, []).append(("weak_kind", "mass"))
    return {k: tuple(v) for k, v in out.items()}


def _trie_regex(forms: list[str]) -> str:
    """A character trie as a regex: at each character one small alternation, so the pattern
    costs about the same whatever the vocabulary size; optional tails are greedy (longest)."""
    trie: dict = {}
    for form in forms:
        node = trie
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict) -> str:
        kids = sorted(k for k in node if k)
        if not kids:
            return ""
        alts = [(r"\s+" if k == " " else re.escape(k)) + emit(node[k]) for k in kids]
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return "(?:" + body + ")?"
        return body

    return r"(?<![a-z0-9%<>])" + emit(trie) + r"(?![a-z0-9%])"


@lru_cache(maxsize=1)
def matcher() -> re.Pattern[str]:
    """One compiled pattern that finds every wording of ``table()`` (longest first)."""
    return re.compile(_trie_regex(list(table())))


def hits(norm: str) -> list[tuple[int, int, str]]:
    """(start, end, matched text) of every wording of ``table()`` in a normalised text, in order."""
    return [(m.start(), m.end(), m.group()) for m in matcher().finditer(norm)]


@lru_cache(maxsize=65536)
def lookup(matched: str) -> tuple[tuple[str, str], ...]:
    """The meanings of one matched stretch of normalised text."""
    return table().get(" ".join(matched.split()), ())


@lru_cache(maxsize=65536)
def fields_of(matched: str) -> frozenset[str]:
    """The fields a matched wording can belong to."""
    return frozenset(f for f, _ in lookup(matched))


@lru_cache(maxsize=65536)
def meanings(matched: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The meanings of one matched stretch split in two: its ConText cue kinds, and its
    (field, value) terms (in ``lookup`` order within each)."""
    pairs = lookup(matched)
    return (tuple(v for f, v in pairs if f == "cue"),
            tuple((f, v) for f, v in pairs if f != "cue"))
