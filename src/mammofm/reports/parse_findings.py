"""Parser step 2: findings, sentence by sentence: anchors, attached descriptors, ConText scopes,
sides, modality, merging of restatements; and their final dict form."""

from __future__ import annotations

import bisect
import re
from typing import Any


from mammofm.birads import Location, clock_quadrant_conflict

from . import cues, vocab
from .segment import Sentence
from .parse_state import (
    ADJ_GAP,
    CONTINUATION,
    DESCRIPTOR_FIELDS,
    Draft,
    FINDING_SECTIONS,
    Found,
    Item,
    Report,
    allowed,
    copy_draft,
    merge_into,
    nearest_side,
)


_WITH_AF = re.compile(r"with\s+(?:associated\s+)?(?:[a-z]+\s+){0,2}$")


_VIEW_CONTEXT = re.compile(r"^[\s,a-z]{0,40}?(?:views?|projections?|images?)(?![a-z])")


_VIEW_NEGATED = re.compile(r"(?:not|without|no)(?![a-z])[^.;]{0,25}$")


_MANY = re.compile(r"(?<![a-z])(?:two|three|2|3|both|each)\s+(?:[a-z\-]+\s+){0,4}$")


_OBSCURE = re.compile(r"obscur\w*\s+(?:small\s+)?$")


#: "upper outer views" (a view, not a place), "posterior acoustic shadowing" (not a depth)
_VIEWS_AFTER = re.compile(r"\s*views?")
_VIEWS_END = re.compile(r"views?$")
_NOT_DEPTH_AFTER = re.compile(r"[\s-]*(?:to|shadow\w*|acoustic|enhancement|features?)(?![a-z])")
#: what lies between coordinated findings: "distortion and calcifications", "mass or cyst"
_COORDINATION = re.compile(r"[\s,]*(?:and|or|&)\s+(?:[a-z\-]+\s+){0,3}")


_ABBREV_VIEWS = frozenset({"cc", "mlo", "xccl", "xccm"})


# literal hints (one fast search) that decide whether a sentence needs a full pattern search
_MODALITY_HINT = re.compile(r"sono|ultrasound|echo|shadowing|vascularity|doppler|mri|enhanc|"
                            r"washout|magnetic|tomo|dbt|3d")


_MODALITY_WORDS = (("ultrasound", cues.US_WORDS), ("mri", cues.MRI_WORDS),
                   ("tomosynthesis", cues.TOMO_WORDS))


#: fields an item may give to the anchor written right after it ("an oval mass", "5 mm mass")
_NEXT_OWNED = frozenset(DESCRIPTOR_FIELDS + ("size",))


#: fields whose items can open a finding (``_anchors``); a sentence without any has none
_ANCHOR_FIELDS = frozenset({"kind", "asymmetry_type", "morphology", "weak_kind"})


# ---------------------------------------------------------------------------------------------
def _anchors(r: Report, i: int) -> list[Item]:
    if _ANCHOR_FIELDS.isdisjoint(r.fields[i]):
        return []
    items = r.items[i]
    out: list[Item] = []
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
            out.append(Item(it.start, it.end, "anchor", kind, it.text))
    if not out:
        for it in items:
            if it.field == "weak_kind":
                out.append(Item(it.start, it.end, "anchor", "mass", it.text))
                break
    return out


def in_scope(r: Report, i: int, a: int, b: int) -> tuple[str, tuple[int, int] | None]:
    """Certainty of a mention at [a, b) from the cues of its sentence (ConText scopes)."""
    cs = r.cues[i]
    # termination cues end a scope: those between trigger and mention cancel the trigger
    terms = [(s2, e2) for s2, e2, k2 in cs if k2 == "term"] if "term" in r.cue_kinds[i] else ()
    best: tuple[int, str, tuple[int, int]] | None = None
    for s, e, kind in cs:
        if kind in ("neg_pre", "unc_pre") and e <= a:
            if terms and any(e <= s2 and e2 <= a for s2, e2 in terms):
                continue
            dist = a - e
            cert = "negated" if kind == "neg_pre" else "uncertain"
        elif kind in ("neg_post", "unc_post") and s >= b:
            if terms and any(b <= s2 and e2 <= s for s2, e2 in terms):
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


def _is_anaphoric(r: Report, s: Sentence, a: Item) -> bool:
    m = cues.ANAPHOR.search(r.low, max(s.start, a.start - 60), a.start)
    if m is None:
        return False
    words = m.group(1).split()
    return not any(w in cues.ANAPHOR_BREAK for w in words)


def _adjacent_before(r: Report, item: Item, anchor: Item, items: list[Item]) -> bool:
    gap = list(r.low[item.end:anchor.start])
    for it in items:
        if item.end <= it.start and it.end <= anchor.start:
            for k in range(it.start - item.end, it.end - item.end):
                gap[k] = " "
    return ADJ_GAP.match("".join(gap)) is not None


def _sentence_modality(r: Report, i: int) -> str | None:
    s = r.sents[i]
    for it in r.items[i] if "modality" in r.fields[i] else ():
        if it.field == "modality" and it.value != "mammography" and \
                not cues.GUIDED.match(r.low, it.end):
            return str(it.value)
    text = r.low[s.start:s.end]
    if _MODALITY_HINT.search(text):
        for name, rx in _MODALITY_WORDS:
            if rx.search(text):
                return name
    return s.modality


def _drafts(r: Report, i: int, carry: str | None) -> list[Draft]:
    s = r.sents[i]
    items = r.items[i]
    anchors = _anchors(r, i)
    if not anchors:
        return []
    # "a mass with (associated) calcifications / architectural distortion" -> feature of the mass
    kept: list[Item] = []
    extra_af: dict[int, list[tuple[str, Item]]] = {}
    for a in anchors:
        if kept and a.value in ("calcification", "architectural_distortion") and \
                kept[-1].value in ("mass", "asymmetry", "architectural_distortion") and \
                kept[-1].value != a.value and \
                _WITH_AF.search(r.low, kept[-1].end, a.start) is not None:
            af = "calcifications" if a.value == "calcification" else "architectural_distortion"
            extra_af.setdefault(len(kept) - 1, []).append((af, a))
            continue
        kept.append(a)
    anchors = kept
    # "the previously questioned mass persists ... as a 7 mm oval mass": one mass
    merged: list[Item] = []
    for a in anchors:
        if merged and merged[-1].value == a.value and (
                _is_anaphoric(r, s, merged[-1]) or r.low[merged[-1].end:a.start].strip().startswith("(")):
            continue
        merged.append(a)
    anchors = merged
    drafts = [Draft(str(a.value), a, s) for a in anchors]
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

    def owner(it: Item, valid: Any = None) -> int | None:
        idx = bisect.bisect_right(anchor_starts, it.start)  # anchors before it
        prev_i = idx - 1 if idx > 0 else None
        next_i = idx if idx < len(anchors) else None
        order: list[int] = []
        if next_i is not None and (prev_i is None or (
                it.field in _NEXT_OWNED and
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
        if f in DESCRIPTOR_FIELDS:
            o = owner(it, lambda k, f=f: allowed(k, f))
            if o is None:
                continue
            drafts[o].put(f, it.value, it)
        elif f == "kind" and it.text in vocab.NOT_ANCHORS:
            continue
        elif f in ("quadrant", "depth"):
            if f == "quadrant" and _VIEWS_AFTER.match(r.low[it.end:it.end + 8]):
                continue
            if f == "depth" and _NOT_DEPTH_AFTER.match(r.low[it.end:it.end + 14]):
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
                    not _VIEWS_END.search(it.text):
                continue
            if any(o.field == "quadrant" and o.start == it.start for o in items) and \
                    not _VIEWS_AFTER.match(after):
                continue  # "axillary tail" is a place unless it is a view
            if _VIEW_NEGATED.search(r.low[max(s.start, it.start - 30):it.start]) or \
                    "rec" in r.cue_kinds[i]:  # views advised, not seen
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
            o = owner(Item(cs, ce, kind, True))
            if o is None:
                continue
            d = drafts[o]
            if kind == "bx":
                d.put("previously_biopsied", True, Item(cs, ce, kind, True))
            elif d.kind == "implant":
                cert, _ = in_scope(r, i, cs, ce)
                val = kind == "rupture" and cert == "present"
                d.put("implant_rupture", val, Item(cs, ce, kind, val))
    # coordination: "distortion and calcifications at the lumpectomy site, stable"
    for k in range(len(drafts) - 1):
        a, b = drafts[k], drafts[k + 1]
        between = r.low[a.anchor.end:b.anchor.start]
        if _COORDINATION.fullmatch(between) and \
                not any(n in a.attrs for n in ("quadrant", "clock", "depth", "distance_from_nipple_cm")):
            for n in ("quadrant", "clock", "depth", "distance_from_nipple_cm", "stability"):
                if n in b.attrs and n not in a.attrs:
                    a.attrs[n] = b.attrs[n]
                    a.ev[n] = b.ev[n]
    # "two groups of calcifications at 10 o'clock and at 11 o'clock": two findings
    split_drafts: list[Draft] = []
    for d in drafts:
        split_drafts.append(d)
        if len(d.clocks) >= 2 and _MANY.search(r.low, s.start, d.anchor.start):
            for c in d.clocks[1:]:
                twin = copy_draft(d)
                twin.attrs["clock"], twin.ev["clock"] = c.value, (c.start, c.end)
                split_drafts.append(twin)
    drafts = split_drafts
    # certainty, side, modality
    has_modality, has_side = "modality" in r.fields[i], "laterality" in r.fields[i]
    for d in drafts:
        d.certainty, span = in_scope(r, i, d.anchor.start, d.anchor.end)
        if span:
            d.certainty_span = span
        if d.attrs.get("stability") == "resolved":
            d.certainty = "negated"
        d.modality = modality
        own = next((it for it in items if it.field == "modality" and it.end <= d.anchor.start
                    and ADJ_GAP.match(r.low[it.end:d.anchor.start])), None) \
            if has_modality else None
        if own is not None:  # "the mammographic distortion", "a sonographic mass"
            d.modality = str(own.value)
        d.anaphoric = _is_anaphoric(r, s, d.anchor)
        side = nearest_side(items, d.anchor.start, d.anchor.end) if has_side else None
        if side is not None:
            for it in items:
                if it.field == "laterality" and str(it.value) == side:  # side_of(it) == side
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


def read_findings(r: Report) -> list[Found]:
    out: list[Found] = []
    seen_text: set[str] = set()
    block, block_sides, block_reset = -1, set(), False
    last: list[Found] = []  # findings of the latest sentence that had any
    for i, s in enumerate(r.sents):
        key = " ".join(r.p.norm[s.start:s.end].split())
        if len(key) > 12 and key in seen_text:
            continue
        seen_text.add(key)
        if s.block != block:
            block, block_sides, block_reset = s.block, set(), False
        sides_here = set(r.sides[i])
        if s.side:
            sides_here.add(s.side)
        if s.section not in FINDING_SECTIONS:
            continue
        carry = None
        if not sides_here and not block_reset and len(block_sides) == 1 and "B" not in block_sides:
            carry = next(iter(block_sides))
        drafts = _drafts(r, i, carry)
        if "composition" in r.fields[i] and not sides_here:
            block_reset, block_sides = True, set()
        if sides_here:
            block_reset = False
            block_sides |= {"L", "R"} if "B" in sides_here else sides_here
        if not drafts:
            _continue_previous(r, i, last)
            continue
        impression = s.section == "impression" or s.addendum
        new: list[Found] = []
        for d in drafts:
            for side in d.sides:
                f = Found(side, d if len(d.sides) == 1 else copy_draft(d), impression)
                target = None
                if impression or d.anaphoric:
                    same = [x for x in out if x.side == side and x.d.kind == d.kind]
                    if d.certainty != "negated":
                        same = [x for x in same if x.d.certainty != "negated"]
                    if same and (d.certainty != "negated" or impression):
                        target = same[-1]
                if target is not None:
                    if d.certainty != "negated":
                        merge_into(target.d, f.d)
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


def _continue_previous(r: Report, i: int, last: list[Found]) -> None:
    """A sentence without a finding of its own that goes on about the previous one."""
    if not last:
        return
    s = r.sents[i]
    text = r.low[s.start:s.end]
    cue_kinds = r.cue_kinds[i]
    if not (CONTINUATION.match(text) or "bx" in cue_kinds or "rupture" in cue_kinds
            or "intact" in cue_kinds):
        return
    for f in last:
        d = f.d
        for it in r.items[i]:
            if it.field in DESCRIPTOR_FIELDS and allowed(d.kind, it.field):
                d.put(it.field, it.value, it)
            elif it.field == "size" and d.certainty != "negated":
                d.put("size_mm", it.value, it)
            elif it.field == "stability":
                cert, _ = in_scope(r, i, it.start, it.end)
                if cert == "present":
                    d.put("stability", it.value, it)
            elif it.field == "associated_feature" and it.value not in d.af:
                d.af.append(it.value)
        for cs, ce, kind in r.cues[i]:
            if kind == "bx" and d.certainty != "negated":
                d.put("previously_biopsied", True, Item(cs, ce, kind, True))
            elif kind in ("rupture", "intact") and d.kind == "implant":
                cert, _ = in_scope(r, i, cs, ce)
                val = kind == "rupture" and cert == "present"
                d.put("implant_rupture", val, Item(cs, ce, kind, val))


# ---------------------------------------------------------------------------------------------
def build_finding(r: Report, f: Found) -> dict[str, Any]:
    """One finding as the dict the schema validates (values as canonical strings)."""
    d = f.d
    kind = d.kind
    # (spans map to the source only where HTML was removed; else they are the source's)
    ev = dict(d.ev) if r.p.offsets is None else {k: r.span(*v) for k, v in d.ev.items()}
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
        elif name in DESCRIPTOR_FIELDS or name in ("stability", "pathology"):
            if name in DESCRIPTOR_FIELDS and not allowed(d.kind, name):
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
