"""BI-RADS-guided report prose from an Exam record, in several institutional styles.

``write(exam, style, seed)`` is deterministic by seed. Every BI-RADS term comes from
``mammofm.birads.lexicon`` (phrase or a non-legacy synonym, chosen by the seed); this module
only supplies the sentence frames, section headers, ordering and number formats of a style.
The parser reads every frame written here back (round-trip tests), so frames stay plain.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from mammofm.birads import (
    Assessment,
    Breast,
    Certainty,
    Exam,
    Finding,
    FindingKind,
    Laterality,
    Modality,
    Quadrant,
    Stability,
    lexicon,
)

__all__ = ["STYLES", "Style", "write"]


@dataclass(frozen=True)
class Style:
    """How one institution writes: headers, case, bullets, date and number formats."""

    name: str
    headers: bool = True  # section headers (FINDINGS:, IMPRESSION: ...)
    upper: bool = False  # the whole report in capitals
    bullets: bool = False  # findings as "- " lines
    side_headers: bool = False  # "RIGHT BREAST:" sub-headers inside FINDINGS
    date_format: str = "iso"  # iso | us | long | uk
    abbreviate: bool = False  # UOQ, CM FN, RT/LT
    uk: bool = False  # UK spellings (centimetres, characterised) and headings
    description: str = ""


STYLES: dict[str, Style] = {
    s.name: s
    for s in (
        Style("default", headers=True, side_headers=False, date_format="long",
              description="US sections with prose findings"),
        Style("structured", headers=True, side_headers=True, bullets=True, date_format="iso",
              description="templated report: section headers, per-breast bullets"),
        Style("narrative", headers=False, date_format="long",
              description="dictated prose without section headers"),
        Style("uk", headers=True, date_format="uk", uk=True,
              description="UK breast-screening wording and spelling"),
        Style("terse", headers=True, upper=True, bullets=True, date_format="us", abbreviate=True,
              description="all-caps worklist shorthand with abbreviations"),
    )
}

def _plural(t: str) -> bool:
    return t.endswith("s") and not t.endswith(("ss", "sis"))


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


class _Writer:
    def __init__(self, exam: Exam, style: Style, seed: int) -> None:
        self.exam = exam
        self.s = style
        self.r = random.Random(seed)

    # ---------- small helpers ----------
    def pick(self, options: list[str] | tuple[str, ...]) -> str:
        return options[self.r.randrange(len(options))]

    def form(self, field: str, value: object, keep: Callable[[str], bool] | None = None) -> str:
        """The phrase or one non-legacy synonym of a lexicon value, chosen by the seed."""
        forms = [f for f in lexicon.synonyms(field, value, legacy=False)
                 if keep is None or keep(f)]
        if not forms:
            return lexicon.phrase(field, value)
        # the phrase is the most likely choice; synonyms add variety
        return forms[0] if self.r.random() < 0.45 else self.pick(forms)

    def side(self, lat: Laterality) -> str:
        if self.s.abbreviate and self.r.random() < 0.6:
            return "rt" if lat == Laterality.R else "lt"
        return lexicon.phrase("laterality", lat)

    def date(self, d: dt.date) -> str:
        f = self.s.date_format
        if f == "iso":
            return d.isoformat()
        if f == "us":
            return f"{d.month:02d}/{d.day:02d}/{d.year}"
        if f == "uk":
            return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"
        return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"

    def cm(self) -> str:
        return "centimetres" if self.s.uk and self.r.random() < 0.5 else "cm"

    def num(self, x: float) -> str:
        return f"{x:g}"

    def order(self) -> list[Laterality]:
        sides = [lat for lat in (Laterality.R, Laterality.L) if lat in self.exam.breasts]
        if self.r.random() < 0.25:
            sides.reverse()
        return sides

    # ---------- finding phrases ----------
    def size(self, mm: float) -> str:
        if mm >= 10 and float(mm).is_integer() and self.r.random() < 0.4:
            return f"{self.num(mm / 10)} {self.cm()}"
        return f"{self.num(mm)} mm"

    def kind_noun(self, f: Finding) -> str:
        if f.kind == FindingKind.asymmetry and f.asymmetry_type is not None:
            return self.form("asymmetry_type", f.asymmetry_type,
                             lambda t: "asymmetr" in t and "-" not in t.split()[0])
        if f.kind == FindingKind.calcification:
            return self.form("kind", f.kind, lambda t: _plural(t) and t != "calcs")
        return self.form("kind", f.kind, lambda t: not _plural(t) and "density" not in t)

    def mass_phrase(self, f: Finding) -> str:
        pre: list[str] = []
        if f.size_mm is not None and self.r.random() < 0.6:
            pre.append(self.size(f.size_mm))
        if f.shape is not None:
            pre.append(self.form("shape", f.shape, lambda t: not t.endswith("shape")))
        if f.density is not None:
            pre.append(self.form("density", f.density))
        noun = self.kind_noun(f)
        post = ""
        if f.margin is not None:
            m = self.form("margin", f.margin, lambda t: "margin" not in t and "ion" not in t)
            post = f" with {m} margins"
        if f.size_mm is not None and not any("mm" in p or "cm" in p or "centi" in p for p in pre):
            post += f" measuring {self.size(f.size_mm)}"
        return " ".join([*pre, noun]) + post

    def calc_phrase(self, f: Finding) -> str:
        pre: list[str] = []
        post = ""
        if f.distribution is not None:
            d = self.form("distribution", f.distribution, lambda t: "distribution" not in t)
            if self.r.random() < 0.6:
                pre.append(d)
            else:
                post = f" in a {d} distribution"
        if f.morphology is not None:
            m = self.form("morphology", f.morphology, lambda t: "calcif" not in t)
            if pre and m.split()[0] == pre[-1]:  # "linear" + "linear branching": say it once
                post = f" in a {pre.pop()} distribution"
            pre.append(m)
        text = " ".join([*pre, self.kind_noun(f)]) + post
        if f.size_mm is not None:
            text += f" spanning {self.size(f.size_mm)}"
        return text

    def generic_phrase(self, f: Finding) -> str:
        text = self.kind_noun(f)
        if f.size_mm is not None:
            text = f"{self.size(f.size_mm)} {text}" if self.r.random() < 0.5 else \
                f"{text} measuring {self.size(f.size_mm)}"
        return text

    def location(self, f: Finding) -> str:
        loc = f.location
        bits: list[str] = []
        if loc.quadrant is not None:
            bits.append(self.quadrant(loc.quadrant))
        if loc.clock is not None:
            bits.append(self.clock(loc.clock))
        if loc.depth is not None:
            d = self.form("depth", loc.depth, lambda t: "depth" in t or "third" in t)
            bits.append(f"{'in the' if 'third' in d else 'at'} {d}")
        if loc.distance_from_nipple_cm is not None:
            dist = self.num(loc.distance_from_nipple_cm)
            if self.s.abbreviate and self.r.random() < 0.6:
                bits.append(f"{dist} cm fn")
            else:
                bits.append(f"{dist} {self.cm()} from the nipple")
        return ", ".join(bits)

    def quadrant(self, q: Quadrant) -> str:
        form = self.form("quadrant", q, lambda t: not any(ch.isdigit() for ch in t)
                         and not t.startswith("behind"))
        if self.s.abbreviate and len(form) == 3:
            return f"in the {form}"
        if q in (Quadrant.UOQ, Quadrant.UIQ, Quadrant.LOQ, Quadrant.LIQ):
            return f"in the {form}" + ("" if "quadrant" in form or len(form) == 3 else " quadrant")
        if form.endswith(("region", "tail", "spence")):
            return f"in the {form}"
        return f"in the {form} " + ("region" if q == Quadrant.retroareolar else "breast")

    def clock(self, c: float) -> str:
        h = int(c)
        half = c - h >= 0.5
        if self.s.abbreviate:
            return f"at {h}:{'30' if half else '00'}"
        if self.s.uk and half:
            return f"at {h}.30 o'clock"
        if half:
            return f"at {h}:30"
        return self.pick([f"at {h} o'clock", f"at the {h}:00 position", f"at {h}:00"])

    def finding_sentence(self, f: Finding, lat: Laterality, with_side: bool) -> str:
        if f.kind == FindingKind.mass:
            core = self.mass_phrase(f)
        elif f.kind == FindingKind.calcification:
            core = self.calc_phrase(f)
        else:
            core = self.generic_phrase(f)
        if f.stability in (Stability.new, Stability.stable) and self.r.random() < 0.6:
            core = f"{self.form('stability', f.stability, lambda t: ' ' not in t)} {core}"
            stab = ""
        elif f.stability is not None:
            word = self.form("stability", f.stability,
                             lambda t: " " not in t and t not in ("new",))
            stab = f", {word} compared with the prior study"
        else:
            stab = ""
        where = self.location(f)
        side = f"in the {self.side(lat)} breast" if with_side else ""
        plural = f.kind == FindingKind.calcification
        uncertain = f.certainty == Certainty.uncertain
        if uncertain and self.r.random() < 0.5:
            core = f"{self.form('certainty', Certainty.uncertain, lambda t: ' ' not in t)} {core}"
            uncertain_tail = ""
        elif uncertain:
            uncertain_tail = "cannot be excluded"
        else:
            uncertain_tail = ""
        extras: list[str] = []
        if f.associated_features:
            afs = [self.form("associated_feature", a) for a in f.associated_features]
            extras.append("with " + " and ".join(afs))
        if f.views:
            names = [lexicon.phrase("view", v) if self.r.random() < 0.4 else v.value
                     for v in f.views]
            extras.append(f"seen on the {' and '.join(names)} view" +
                          ("s" if len(names) > 1 else "") + ("" if len(names) > 1 else " only"))
        if f.previously_biopsied:
            path = f", {lexicon.phrase('pathology', f.pathology)}" if f.pathology else ""
            extras.append(f"previously biopsied{path}")
        tail = ", ".join(x for x in (where, *extras) if x)
        prefix = ""
        if f.modality != Modality.mammography:
            prefix = f"On {self.form('modality', f.modality, lambda t: len(t) > 3 and not t.endswith('ic'))}, "
        if uncertain_tail:
            body = " ".join(x for x in (f"A {core}", side) if x)
            body = f"{body}{', ' + tail if tail else ''}{stab} {uncertain_tail}"
        else:
            verb = "There are" if plural else "There is"
            article = "" if plural else ("an " if core[:1] in "aeiou" else "a ")
            if self.r.random() < 0.3 and not self.s.abbreviate:
                verb = ""
                article = article.capitalize() if article else ""
                core_text = f"{article}{core}" if article else core[:1].upper() + core[1:]
                body = " ".join(x for x in (core_text, side) if x)
                body += (" are seen" if plural else " is seen") + f"{', ' + tail if tail else ''}{stab}"
            else:
                body = " ".join(x for x in (f"{verb} {article}{core}", side) if x)
                body += f"{', ' + tail if tail else ''}{stab}"
        if prefix:
            body = body[:1].lower() + body[1:]
        return prefix + body + "."

    def implant_sentence(self, f: Finding, lat: Laterality | None) -> str:
        words = []
        if f.implant_position is not None:
            words.append(self.form("implant_position", f.implant_position))
        if f.implant_material is not None:
            words.append(self.form("implant_material", f.implant_material))
        noun = self.form("kind", FindingKind.implant, _plural)
        where = "Bilateral" if lat is None else f"{self.side(lat).capitalize()}"
        if lat is not None:
            noun = self.form("kind", FindingKind.implant, lambda t: not _plural(t))
        if f.stability is not None:
            words.insert(0, self.form("stability", f.stability, lambda t: " " not in t))
        text = f"{where} {' '.join([*words, noun])} {'is' if lat else 'are'} present"
        if f.views:
            names = [v.value for v in f.views]
            text += f", seen on the {' and '.join(names)} view" + ("s" if len(names) > 1 else "")
        if f.implant_rupture is True:
            text += ", with evidence of rupture"
        elif f.implant_rupture is False:
            text += self.pick([", intact without evidence of rupture",
                               ". There is no evidence of rupture"])
        return text + "."

    def negation_sentence(self, kinds: list[FindingKind], lat: Laterality | None) -> str:
        nouns = [self.form("kind", k, lambda t: _plural(t) and t != "calcs"
                           and "density" not in t) for k in kinds]
        listing = nouns[0] if len(nouns) == 1 else ", ".join(nouns[:-1]) + " or " + nouns[-1]
        where = self.pick([" in either breast", " bilaterally"]) if lat is None \
            else f" in the {self.side(lat)} breast"
        frame = self.pick(["There are no suspicious {x}{w}.", "No suspicious {x} are seen{w}.",
                           "There is no evidence of {x}{w}.", "No {x}{w}."])
        return frame.format(x=listing, w=where)

    # ---------- sections ----------
    def title(self) -> str:
        sides = list(self.exam.breasts)
        ind = self.exam.indication
        kind = lexicon.phrase("indication", ind) if ind else ""
        if len(sides) == 1:
            where = self.side(sides[0]).capitalize()
        else:
            where = "Bilateral"
        words = " ".join(w for w in (where, kind, "mammogram") if w)
        return words[:1].upper() + words[1:]

    def history(self) -> list[str]:
        out = []
        if self.exam.patient_age is not None:
            out.append(self.pick([f"{self.exam.patient_age}-year-old woman.",
                                  f"Patient age: {self.exam.patient_age}."]))
        return out

    def comparison(self) -> list[str]:
        c = self.exam.comparison
        if c is None:
            return []
        if not c.compared:
            return [self.pick(["None.", "No prior studies are available for comparison.",
                               "No previous mammograms available for comparison."])]
        if c.prior_date is not None:
            out = [self.pick([f"Compared with the prior study of {self.date(c.prior_date)}.",
                              f"Prior mammogram dated {self.date(c.prior_date)}.",
                              f"Comparison is made with prior examination of {self.date(c.prior_date)}."])]
        else:
            out = [self.pick(["Compared with prior studies.", "Comparison is made with prior examinations."])]
        if c.change is not None:
            if c.change == Stability.stable and self.r.random() < 0.5:
                out.append("There has been no significant change since the prior study.")
            else:
                w = self.form("stability", c.change, lambda t: " " not in t and t != "enlarging")
                out.append(f"Compared with the prior study, the overall appearance is {w}.")
        return out

    def composition(self) -> list[str]:
        comps = {lat: b.composition for lat, b in self.exam.breasts.items()}
        vals = {v for v in comps.values()}
        if len(vals) == 1 and None not in vals:
            (c,) = vals
            if self.s.abbreviate:
                return [f"Density: {c.value}."]
            x = self.r.random()
            if x < 0.4:
                return [lexicon.phrase("composition", c) + "."]
            syn = self.composition_words(c)
            if x < 0.7:
                return [f"Breast composition: {syn}."]
            if "fatty" in syn or "dense" in syn:
                return [f"The breasts are {syn}."]
            plural = syn.split()[1:2] == ["areas"] or syn.endswith("densities")
            return [f"{'There are' if plural else 'There is'} {syn}."]
        out = []
        for lat in self.order():
            c = comps.get(lat)
            if c is None:
                continue
            syn = self.composition_words(c)
            out.append(f"{self.side(lat).capitalize()} breast composition: {syn}.")
        return out

    def composition_words(self, c: object) -> str:
        """A composition wording that fits inside a frame: a lower-case synonym, never the
        full sentence ("There are scattered areas ...", "The breasts are ...") of the phrase."""
        return self.form("composition", c, lambda t: t[:1].islower())

    def breast_findings(self, lat: Laterality, with_side: bool) -> tuple[list[str], list[FindingKind]]:
        b: Breast = self.exam.breasts[lat]
        lines = []
        negated = [f.kind for f in b.findings if f.certainty == Certainty.negated]
        for f in b.findings:
            if f.certainty == Certainty.negated or f.kind == FindingKind.implant:
                continue
            lines.append(self.finding_sentence(f, lat, with_side))
        return lines, negated

    def implants(self) -> list[str]:
        imps = {lat: [f for f in b.findings if f.kind == FindingKind.implant]
                for lat, b in self.exam.breasts.items()}
        have = {lat: fs[0] for lat, fs in imps.items() if fs}
        if not have:
            return []
        if len(have) == 2 and have[Laterality.L].model_dump() == have[Laterality.R].model_dump():
            return [self.implant_sentence(have[Laterality.R], None)]
        return [self.implant_sentence(f, lat) for lat, f in have.items()]

    def findings(self) -> list[str]:
        sides = self.order()
        per_side = {lat: self.breast_findings(lat, with_side=not self.s.side_headers)
                    for lat in sides}
        out = self.implants()
        negs = {lat: per_side[lat][1] for lat in sides}
        shared_neg: list[FindingKind] = []
        if len(sides) == 2 and negs[sides[0]] and sorted(negs[sides[0]]) == sorted(negs[sides[1]]):
            shared_neg = negs[sides[0]]
        if self.s.side_headers:
            for lat in sides:
                lines = list(per_side[lat][0])
                if negs[lat] and not shared_neg:
                    lines.append(self.negation_sentence(negs[lat], lat))
                if not lines:
                    continue
                out.append(f"{self.side(lat).upper()} BREAST:")
                out.extend(lines)
        else:
            for lat in sides:
                out.extend(per_side[lat][0])
                if negs[lat] and not shared_neg:
                    out.append(self.negation_sentence(negs[lat], lat))
        if shared_neg:
            out.append(self.negation_sentence(shared_neg, None))
        return out

    def assessment_label(self, a: Assessment) -> str:
        v = a.value if self.r.random() < 0.7 else a.value.lower()
        token = self.pick(["BI-RADS", "BI-RADS category", "BIRADS", "BI-RADS Category"])
        words = self.form("assessment", a)
        frame = self.pick(["{t} {v}: {w}", "{t} {v} - {w}", "{t} {v} ({w})", "{t} {v}"])
        return frame.format(t=token, v=v, w=words[:1].upper() + words[1:])

    def impression(self) -> list[str]:
        out = []
        for lat in self.order():
            a = self.exam.breasts[lat].assessment
            if a is not None:
                out.append(f"{self.side(lat).capitalize()} breast: {self.assessment_label(a)}.")
        if self.exam.overall_assessment is not None:
            word = self.pick(["Overall", "Overall assessment", "Final assessment"])
            out.append(f"{word}: {self.assessment_label(self.exam.overall_assessment)}.")
        return out

    def recommendation(self) -> list[str]:
        recs = self.exam.recommendations
        if not recs:
            return []
        forms = [self.form("recommendation", r, lambda t: t.islower() or r.value == "mri")
                 for r in recs]
        joined = forms[0] if len(forms) == 1 else ", ".join(forms[:-1]) + " and " + forms[-1]
        if self.s.headers:
            return [joined[:1].upper() + joined[1:] + "."]
        verb = "Advise" if self.s.uk else "Recommend"
        return [f"{verb} {joined}."]

    # ---------- assembly ----------
    def render(self) -> str:
        s = self.s
        sections: list[tuple[str, list[str]]] = []
        ind_header = "Clinical details" if s.uk else self.pick(["Indication", "Clinical history"])
        head = [self.title()]
        if self.exam.exam_date is not None:
            head.append(f"Date of exam: {self.date(self.exam.exam_date)}.")
        sections.append(("Examination" if s.uk else "Exam", head))
        if self.exam.indication is not None or self.exam.patient_age is not None:
            hist = self.history()
            if self.exam.indication is not None:
                hist.append(f"{lexicon.phrase('indication', self.exam.indication).capitalize()}.")
            sections.append((ind_header, hist))
        sections.append(("Comparison", self.comparison()))
        findings = self.composition() + self.findings()
        sections.append(("Report" if s.uk else "Findings", findings))
        sections.append(("Conclusion" if s.uk else "Impression", self.impression()))
        sections.append(("Advice" if s.uk else "Recommendation", self.recommendation()))
        lines: list[str] = []
        for header, body in sections:
            if not body:
                continue
            if s.headers:
                lines.append(f"{header.upper()}:")
                for b in body:
                    if s.bullets and not b.endswith("BREAST:") and header in ("Findings", "Report"):
                        lines.append(f"- {b}")
                    else:
                        lines.append(b)
                lines.append("")
            else:
                if header == "Exam":
                    lines.append(". ".join(b.rstrip(".") for b in body) + ".")
                    lines.append("")
                    continue
                if header == "Comparison" and body and body[0] in ("None.",):
                    body = ["No prior studies are available for comparison."]
                lines.append(" ".join(body))
                lines.append("")
        text = "\n".join(lines).strip() + "\n"
        if s.uk:
            text = text.replace("characterized", "characterised")
        return text.upper() if s.upper else text


def write(exam: Exam, style: str = "default", seed: int = 0) -> str:
    """Report prose for an exam in one of ``STYLES`` (deterministic by seed)."""
    try:
        st = STYLES[style]
    except KeyError:
        raise KeyError(f"unknown report style {style!r}; known: {', '.join(STYLES)}") from None
    return _Writer(exam, st, seed).render()
