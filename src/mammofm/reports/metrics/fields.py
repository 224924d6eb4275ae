"""Exam records as multisets of facts, per field group, and precision / recall / F1 over them.

The round-trip test, the gold-corpus test and the clinical-efficacy scores all compare two
Exam records the same way: each record becomes, per field group, a multiset of small tuples
("R", "mass", "margin", "spiculated"); two records agree on a group as far as their multisets
intersect. Multisets need no alignment of findings, so two masses in one breast count twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from mammofm.birads import Certainty, Exam, Modality

GROUPS: tuple[str, ...] = ("composition", "assessment", "findings", "descriptors", "location",
                           "size", "status", "recommendations", "comparison", "exam")

Fact = tuple[object, ...]


def facts(exam: Exam) -> dict[str, Counter[Fact]]:
    """The facts of one record, per group (see module doc)."""
    out: dict[str, Counter[Fact]] = {g: Counter() for g in GROUPS}
    for lat, b in sorted(exam.breasts.items(), key=lambda kv: kv[0].value):
        side = lat.value
        if b.composition is not None:
            out["composition"][(side, b.composition.value)] += 1
        if b.assessment is not None:
            out["assessment"][(side, b.assessment.value)] += 1
        for f in b.findings:
            k = f.kind.value
            out["findings"][(side, k, f.certainty.value)] += 1
            if f.stability is not None:
                out["status"][(side, k, "stability", f.stability.value)] += 1
            if f.modality != Modality.mammography:
                out["status"][(side, k, "modality", f.modality.value)] += 1
            if f.certainty == Certainty.negated:
                continue
            if f.previously_biopsied:
                out["status"][(side, k, "previously_biopsied", True)] += 1
            for name, value in f.descriptors().items():
                out["descriptors"][(side, k, name, value)] += 1
            for a in f.associated_features:
                out["descriptors"][(side, k, "associated", a.value)] += 1
            loc = f.location
            for name in ("quadrant", "clock", "depth", "distance_from_nipple_cm"):
                v = getattr(loc, name)
                if v is not None:
                    out["location"][(side, k, name, getattr(v, "value", v))] += 1
            for v in f.views:
                out["location"][(side, k, "view", v.value)] += 1
            if f.size_mm is not None:
                out["size"][(side, k, round(float(f.size_mm), 1))] += 1
    overall = exam.derived_overall_assessment()
    if overall is not None:
        out["assessment"][("overall", overall.value)] += 1
    for r in exam.recommendations:
        out["recommendations"][(r.value,)] += 1
    c = exam.comparison
    if c is not None:
        out["comparison"][("compared", c.compared)] += 1
        if c.prior_date is not None:
            out["comparison"][("prior_date", c.prior_date.isoformat())] += 1
        if c.change is not None:
            out["comparison"][("change", c.change.value)] += 1
    if exam.indication is not None:
        out["exam"][("indication", exam.indication.value)] += 1
    if exam.patient_age is not None:
        out["exam"][("age", exam.patient_age)] += 1
    return out


@dataclass
class PRF:
    """Counts and scores of one comparison."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, pred: Counter[Fact], ref: Counter[Fact]) -> None:
        inter = sum((pred & ref).values())
        self.tp += inter
        self.fp += sum(pred.values()) - inter
        self.fn += sum(ref.values()) - inter

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else 1.0

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


def field_scores(preds: Iterable[Exam], refs: Iterable[Exam]) -> dict[str, PRF]:
    """Micro-averaged precision / recall / F1 per field group, plus "all" over every group."""
    scores = {g: PRF() for g in (*GROUPS, "all")}
    for p, r in zip(preds, refs, strict=True):
        fp, fr = facts(p), facts(r)
        for g in GROUPS:
            scores[g].add(fp[g], fr[g])
            scores["all"].add(fp[g], fr[g])
    return scores


def differences(pred: Exam, ref: Exam) -> dict[str, dict[str, list[Fact]]]:
    """What one record has that the other lacks, per group (for test failure messages)."""
    fp, fr = facts(pred), facts(ref)
    out = {}
    for g in GROUPS:
        extra = list((fp[g] - fr[g]).elements())
        missing = list((fr[g] - fp[g]).elements())
        if extra or missing:
            out[g] = {"extra": extra, "missing": missing}
    return out
