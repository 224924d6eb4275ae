"""Zero-shot prompt ensembles, built from the BI-RADS lexicon (never hand-spelled terms).

A task is a label column and its classes; each class gets several prompts (sentence frames
like the report writer's, filled with the lexicon's phrase and non-legacy synonyms). Prompts
about findings or assessments name the breast ("... in the left breast"), because pretraining
reports describe both breasts: an image of the left breast is scored with left-breast prompts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mammofm.birads import (BIRADS_CLASSES, COMPOSITION_CLASSES, Assessment, FindingKind,
                            lexicon)

#: prompts per class, for one breast side ("L" / "R"); composition ignores the side
PromptFn = Callable[[str], list[list[str]]]


@dataclass(frozen=True)
class ZeroShotTask:
    """A label column, its class names (index = label value) and its prompt builder."""

    name: str
    label: str
    classes: tuple[str, ...]
    build: PromptFn
    lateral: bool = True  # prompts depend on the breast side

    def prompts(self, laterality: str = "L") -> list[list[str]]:
        """One list of prompts per class, class order = label values 0..K-1."""
        return self.build(laterality)

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2


def _side(laterality: str) -> str:
    return lexicon.phrase("laterality", laterality)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _forms(field: str, value: object) -> list[str]:
    """The phrase and the non-legacy synonyms of a value (what writers may emit)."""
    return list(dict.fromkeys(lexicon.synonyms(field, value, legacy=False)))  # type: ignore[arg-type]


def _unique(prompts: list[str]) -> list[str]:
    return list(dict.fromkeys(prompts))


def _plural(t: str) -> bool:
    return t.endswith("s") and not t.endswith(("ss", "sis"))


def _presence_prompts(kind: FindingKind, laterality: str, n_forms: int = 4) -> list[list[str]]:
    side = _side(laterality)
    forms = [f for f in _forms("kind", kind) if not f.endswith("ed")  # nouns only
             and (" " not in f or kind != FindingKind.mass)]
    singular = [f for f in forms if not _plural(f)][:n_forms] or forms[:1]
    plural = [f for f in forms if _plural(f)][:2] or singular[:1]
    absent = []
    for p in plural:
        absent += [f"No {p} in the {side} breast.", f"There are no suspicious {p} in the "
                   f"{side} breast.", f"There is no evidence of {p} in the {side} breast."]
    present = []
    for s in singular:
        art = "an" if s[:1] in "aeiou" else "a"
        verb_s = "There are" if _plural(s) else f"There is {art}"
        present += [f"{verb_s} {s} in the {side} breast.", f"{_cap(side)} breast: {s}."]
    for p in plural:
        present.append(f"There are {p} in the {side} breast.")
    return [_unique(absent), _unique(present)]


def _composition_prompts(_: str) -> list[list[str]]:
    out = []
    for c in COMPOSITION_CLASSES:
        forms = _forms("composition", c)
        ps = [forms[0] + "."]
        for f in forms[1:]:
            ps += [f"Breast composition: {f}.",
                   f"The breasts are {f}." if "fatty" in f or "dense" in f
                   else f"There {'are' if _plural(f.split(' of ')[0].split()[-1]) else 'is'} {f}."]
        out.append(_unique(ps))
    return out


def _assessment_prompts(a: Assessment | str, laterality: str) -> list[str]:
    side = _cap(_side(laterality))
    return _unique([f"{side} breast: {_cap(f)}." for f in _forms("assessment", a)])


def _birads_prompts(laterality: str) -> list[list[str]]:
    return [_assessment_prompts(a, laterality) for a in BIRADS_CLASSES]


#: assessments that stand for each malignancy class in zero-shot prompts
BENIGN_ASSESSMENTS: tuple[Assessment, ...] = (Assessment.c1, Assessment.c2, Assessment.c3)
MALIGNANT_ASSESSMENTS: tuple[Assessment, ...] = (Assessment.c4C, Assessment.c5, Assessment.c6)


def _malignancy_prompts(laterality: str) -> list[list[str]]:
    side = _side(laterality)
    benign = [p for a in BENIGN_ASSESSMENTS for p in _assessment_prompts(a, laterality)]
    malignant = [p for a in MALIGNANT_ASSESSMENTS for p in _assessment_prompts(a, laterality)]
    malignant += [f"{_cap(f)} in the {side} breast." for f in _forms("pathology", "malignant")[:3]]
    return [_unique(benign), _unique(malignant)]


TASKS: dict[str, ZeroShotTask] = {
    t.name: t for t in (
        ZeroShotTask("mass", "mass", ("absent", "present"),
                     lambda lat: _presence_prompts(FindingKind.mass, lat)),
        ZeroShotTask("calcification", "calcification", ("absent", "present"),
                     lambda lat: _presence_prompts(FindingKind.calcification, lat)),
        ZeroShotTask("composition", "composition_class", COMPOSITION_CLASSES,
                     _composition_prompts, lateral=False),
        ZeroShotTask("malignancy", "malignant", ("benign", "malignant"), _malignancy_prompts),
        ZeroShotTask("birads", "birads_class", BIRADS_CLASSES, _birads_prompts),
    )
}


def get_task(name: str | ZeroShotTask) -> ZeroShotTask:
    if isinstance(name, ZeroShotTask):
        return name
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown zero-shot task {name!r}; known: {', '.join(TASKS)}") from None
