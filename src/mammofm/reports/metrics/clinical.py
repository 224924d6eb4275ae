"""Clinical efficacy of generated reports: both texts through the parser, then field scores.

Two families, reported side by side:

* Per-field precision / recall / F1 (scikit-learn where it fits): BI-RADS category macro-F1
  overall and per breast, composition macro-F1, finding-kind F1 per breast, descriptor F1,
  laterality accuracy, and micro / macro aggregates over the field groups of
  :mod:`mammofm.reports.metrics.fields`.
* MammoRG's definitions, so figures compare with that paper: BI-RADS F1 and composition F1 =
  macro-F1 over the breasts that have a reference value, times the share of those breasts where
  the prediction is not "not mentioned"; finding F1 = overlap (F1) of the positive
  (side, finding) sets of each report, averaged over reports; relation F1 = the same over
  (finding, relation, term) triplets with relations located_at / modified_by / suggestive_of.

Every headline figure gets a bootstrap 95% CI over reports (1,000 resamples by default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mammofm.birads import Exam, FindingKind, Laterality

from .fields import GROUPS, facts, field_scores

__all__ = ["ClinicalScorer", "all_scores", "bootstrap_ci", "clinical_efficacy", "field_level_scores",
           "mammorg_scores", "positive_findings", "relations"]

_NOT_MENTIONED = "not_mentioned"
_SIDES = (Laterality.R, Laterality.L)


# ---- per-report pieces (each metric is a function of a list of (pred, ref) pairs) ----------
def _breast_values(exams: Sequence[tuple[Exam, Exam]], attr: str) -> tuple[list[str], list[str]]:
    """Reference and predicted values of every breast that has a reference value."""
    y_true, y_pred = [], []
    for pred, ref in exams:
        for lat in _SIDES:
            rv = getattr(ref.breast(lat), attr)
            if rv is None:
                continue
            pv = getattr(pred.breast(lat), attr)
            y_true.append(rv.value)
            y_pred.append(pv.value if pv is not None else _NOT_MENTIONED)
    return y_true, y_pred


def _macro_f1(y_true: list[str], y_pred: list[str]) -> float:
    from sklearn.metrics import f1_score

    if not y_true:
        return float("nan")
    labels = sorted(set(y_true))
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def _mammorg_category(exams: Sequence[tuple[Exam, Exam]], attr: str) -> float:
    y_true, y_pred = _breast_values(exams, attr)
    if not y_true:
        return float("nan")
    mentioned = sum(p != _NOT_MENTIONED for p in y_pred) / len(y_pred)
    return _macro_f1(y_true, y_pred) * mentioned


def _set_f1(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def positive_findings(exam: Exam) -> set[tuple[str, str]]:
    """(side, kind) of every finding that is present or uncertain."""
    return {(lat.value, f.kind.value) for lat, b in exam.breasts.items()
            for f in b.findings if f.is_positive}


def relations(exam: Exam) -> set[tuple[str, str, str, str]]:
    """(side, finding, relation, term) triplets: located_at (quadrant, clock face, depth),
    modified_by (descriptors, associated features), suggestive_of (pathology or category)."""
    out: set[tuple[str, str, str, str]] = set()
    for lat, b in exam.breasts.items():
        for f in b.findings:
            if not f.is_positive:
                continue
            key = (lat.value, f.kind.value)
            loc = f.location
            for name in ("quadrant", "depth"):
                v = getattr(loc, name)
                if v is not None:
                    out.add((*key, "located_at", v.value))
            if loc.clock is not None:
                out.add((*key, "located_at", f"{loc.clock:g} o'clock"))
            for v in f.descriptors().values():
                out.add((*key, "modified_by", v))
            for a in f.associated_features:
                out.add((*key, "modified_by", a.value))
            if f.pathology is not None:
                out.add((*key, "suggestive_of", f.pathology.value))
            elif f.assessment is not None:
                out.add((*key, "suggestive_of", f"birads_{f.assessment.value}"))
    return out


def _mean_set_f1(exams: Sequence[tuple[Exam, Exam]], fn: Callable[[Exam], set]) -> float:
    if not exams:
        return float("nan")
    return float(np.mean([_set_f1(fn(p), fn(r)) for p, r in exams]))


def mammorg_scores(exams: Sequence[tuple[Exam, Exam]]) -> dict[str, float]:
    """MammoRG's BI-RADS F1, composition F1, finding F1 and relation F1."""
    return {
        "birads_f1": _mammorg_category(exams, "assessment"),
        "composition_f1": _mammorg_category(exams, "composition"),
        "finding_f1": _mean_set_f1(exams, positive_findings),
        "relation_f1": _mean_set_f1(exams, relations),
    }


def _kind_f1(exams: Sequence[tuple[Exam, Exam]], lat: Laterality | None) -> float:
    from sklearn.metrics import f1_score

    y_true, y_pred = [], []
    kinds = [k.value for k in FindingKind]
    for pred, ref in exams:
        pp, rr = positive_findings(pred), positive_findings(ref)
        for side in (_SIDES if lat is None else (lat,)):
            for k in kinds:
                y_true.append(int((side.value, k) in rr))
                y_pred.append(int((side.value, k) in pp))
    if not any(y_true) and not any(y_pred):
        return 1.0
    return float(f1_score(y_true, y_pred, zero_division=0))


def _laterality_counts(pred: Exam, ref: Exam) -> tuple[int, int]:
    pp, rr = positive_findings(pred), positive_findings(ref)
    common = {k for _, k in pp} & {k for _, k in rr}
    hits = sum({s for s, kk in pp if kk == k} == {s for s, kk in rr if kk == k} for k in common)
    return hits, len(common)


def _one_breast(exam: Exam, lat: Laterality) -> Exam:
    return exam.model_copy(update={"breasts": {k: v for k, v in exam.breasts.items() if k == lat}})


def field_level_scores(exams: Sequence[tuple[Exam, Exam]]) -> dict[str, float]:
    """Per-field F1s (scikit-learn), laterality accuracy and micro / macro aggregates."""
    out: dict[str, float] = {}
    y_true, y_pred = [], []
    for p, r in exams:
        ra, pa = r.derived_overall_assessment(), p.derived_overall_assessment()
        if ra is not None:
            y_true.append(ra.value)
            y_pred.append(pa.value if pa is not None else _NOT_MENTIONED)
    out["birads_overall_macro_f1"] = _macro_f1(y_true, y_pred)
    for lat in _SIDES:
        one = [(_one_breast(p, lat), _one_breast(r, lat)) for p, r in exams]
        out[f"birads_{lat.value}_macro_f1"] = _macro_f1(*_breast_values(one, "assessment"))
    out["composition_macro_f1"] = _macro_f1(*_breast_values(exams, "composition"))
    out["finding_kind_f1"] = _kind_f1(exams, None)
    for lat in _SIDES:
        out[f"finding_kind_{lat.value}_f1"] = _kind_f1(exams, lat)
    hits = sum(_laterality_counts(p, r)[0] for p, r in exams)
    total = sum(_laterality_counts(p, r)[1] for p, r in exams)
    out["laterality_accuracy"] = hits / total if total else float("nan")
    groups = field_scores([p for p, _ in exams], [r for _, r in exams])
    for g in GROUPS:
        out[f"{g}_f1"] = groups[g].f1
    out["micro_f1"] = groups["all"].f1
    present = [g for g in GROUPS if groups[g].tp + groups[g].fp + groups[g].fn > 0]
    out["macro_f1"] = float(np.mean([groups[g].f1 for g in present])) if present else float("nan")
    return out


def all_scores(exams: Sequence[tuple[Exam, Exam]]) -> dict[str, float]:
    """Every clinical-efficacy figure (MammoRG's and the per-field ones) of scored pairs."""
    return {**mammorg_scores(exams), **field_level_scores(exams)}


# ---- bootstrap: per-report counts once, then each resample is a weighted sum ---------------
class _Counts:
    """Per-report sufficient statistics of every figure, so a resample costs a few dot products."""

    def __init__(self, exams: Sequence[tuple[Exam, Exam]]) -> None:
        self.n = len(exams)
        self.cats: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, int, int]] = {}
        for name, attr, lat in (("birads", "assessment", None), ("composition", "composition", None),
                                ("birads_R", "assessment", Laterality.R),
                                ("birads_L", "assessment", Laterality.L)):
            rows, t, p = [], [], []
            for i, (pe, re_) in enumerate(exams):
                pair = [(pe, re_)] if lat is None else [(_one_breast(pe, lat), _one_breast(re_, lat))]
                yt, yp = _breast_values(pair, attr)
                rows += [i] * len(yt)
                t += yt
                p += yp
            self._add_cat(name, rows, t, p)
        rows, t, p = [], [], []
        for i, (pe, re_) in enumerate(exams):
            ra, pa = re_.derived_overall_assessment(), pe.derived_overall_assessment()
            if ra is not None:
                rows.append(i)
                t.append(ra.value)
                p.append(pa.value if pa is not None else _NOT_MENTIONED)
        self._add_cat("birads_overall", rows, t, p)
        self.finding = np.array([_set_f1(positive_findings(p), positive_findings(r)) for p, r in exams])
        self.relation = np.array([_set_f1(relations(p), relations(r)) for p, r in exams])
        kinds = [k.value for k in FindingKind]
        self.kind: dict[str, np.ndarray] = {}
        for key, sides in (("all", _SIDES), ("R", (Laterality.R,)), ("L", (Laterality.L,))):
            m = np.zeros((self.n, 3))
            for i, (pe, re_) in enumerate(exams):
                pp, rr = positive_findings(pe), positive_findings(re_)
                for side in sides:
                    for k in kinds:
                        a, b = (side.value, k) in pp, (side.value, k) in rr
                        m[i] += (a and b, a and not b, b and not a)
            self.kind[key] = m
        self.lat = np.array([_laterality_counts(p, r) for p, r in exams], dtype=float).reshape(-1, 2)
        self.groups = np.zeros((len(GROUPS), self.n, 3))
        for i, (pe, re_) in enumerate(exams):
            fp_, fr_ = facts(pe), facts(re_)
            for gi, g in enumerate(GROUPS):
                inter = sum((fp_[g] & fr_[g]).values())
                self.groups[gi, i] = (inter, sum(fp_[g].values()) - inter, sum(fr_[g].values()) - inter)

    def _add_cat(self, name: str, rows: list[int], t: list[str], p: list[str]) -> None:
        labels = sorted(set(t) | set(p) | {_NOT_MENTIONED})
        code = {v: k for k, v in enumerate(labels)}
        self.cats[name] = (np.array(rows, dtype=int), np.array([code[x] for x in t], dtype=int),
                           np.array([code[x] for x in p], dtype=int), len(labels),
                           code[_NOT_MENTIONED])

    def _macro(self, name: str, w: np.ndarray) -> tuple[float, float]:
        rows, t, p, k, nm = self.cats[name]
        if rows.size == 0:
            return float("nan"), float("nan")
        pw = w[rows]
        if pw.sum() == 0:
            return float("nan"), float("nan")
        same = t == p
        tp = np.bincount(t[same], weights=pw[same], minlength=k)
        pred = np.bincount(p, weights=pw, minlength=k)
        true = np.bincount(t, weights=pw, minlength=k)
        present = true > 0  # sklearn's labels = the classes of y_true
        denom = pred + true
        f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
        macro = float(f1[present].mean())
        mentioned = float(pw[p != nm].sum() / pw.sum())
        return macro, mentioned

    @staticmethod
    def _f1(c: np.ndarray) -> float:
        tp, fp, fn = c
        d = 2 * tp + fp + fn
        return float(2 * tp / d) if d else 1.0

    def scores(self, w: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, key in (("birads_f1", "birads"), ("composition_f1", "composition")):
            macro, mentioned = self._macro(key, w)
            out[name] = macro * mentioned
        out["finding_f1"] = float(w @ self.finding / w.sum())
        out["relation_f1"] = float(w @ self.relation / w.sum())
        out["birads_overall_macro_f1"] = self._macro("birads_overall", w)[0]
        out["birads_R_macro_f1"] = self._macro("birads_R", w)[0]
        out["birads_L_macro_f1"] = self._macro("birads_L", w)[0]
        out["composition_macro_f1"] = self._macro("composition", w)[0]
        out["finding_kind_f1"] = self._f1(w @ self.kind["all"])
        out["finding_kind_R_f1"] = self._f1(w @ self.kind["R"])
        out["finding_kind_L_f1"] = self._f1(w @ self.kind["L"])
        hits, total = w @ self.lat
        out["laterality_accuracy"] = float(hits / total) if total else float("nan")
        sums = np.einsum("i,gic->gc", w, self.groups)
        f1s = []
        for gi, g in enumerate(GROUPS):
            out[f"{g}_f1"] = self._f1(sums[gi])
            if sums[gi].sum() > 0:
                f1s.append(out[f"{g}_f1"])
        out["micro_f1"] = self._f1(sums.sum(axis=0))
        out["macro_f1"] = float(np.mean(f1s)) if f1s else float("nan")
        return out


def bootstrap_ci(exams: Sequence[tuple[Exam, Exam]], n_boot: int = 1000, seed: int = 0,
                 alpha: float = 0.05) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap CIs over reports (resampled with replacement) for every figure."""
    counts = _Counts(exams)
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {}
    for _ in range(n_boot):
        w = np.bincount(rng.integers(0, counts.n, size=counts.n), minlength=counts.n).astype(float)
        for k, v in counts.scores(w).items():
            samples.setdefault(k, []).append(v)
    out = {}
    for k, vs in samples.items():
        arr = np.asarray(vs, dtype=float)
        arr = arr[~np.isnan(arr)]
        out[k] = ((float(np.quantile(arr, alpha / 2)), float(np.quantile(arr, 1 - alpha / 2)))
                  if arr.size else (float("nan"), float("nan")))
    return out


def clinical_efficacy(generated: Sequence[str | Exam], reference: Sequence[str | Exam],
                      n_boot: int = 1000, seed: int = 0) -> dict[str, dict[str, float]]:
    """Clinical-efficacy scores of generated reports against references (texts or records).

    Returns ``{name: {"value", "ci_low", "ci_high"}}``; texts go through ``reports.parse``.
    """
    from mammofm.reports import parse

    if len(generated) != len(reference):
        raise ValueError(f"{len(generated)} generated reports but {len(reference)} references")
    if not generated:
        raise ValueError("no reports to score")
    exams = [(g if isinstance(g, Exam) else parse(g), r if isinstance(r, Exam) else parse(r))
             for g, r in zip(generated, reference)]
    values = all_scores(exams)
    cis = bootstrap_ci(exams, n_boot=n_boot, seed=seed) if n_boot > 0 else {}
    nan2 = (float("nan"), float("nan"))
    return {k: {"value": v, "ci_low": cis.get(k, nan2)[0], "ci_high": cis.get(k, nan2)[1]}
            for k, v in values.items()}


@dataclass
class ClinicalScorer:
    """Accumulate (generated, reference) pairs batch by batch, then ``aggregate()``."""

    n_boot: int = 1000
    seed: int = 0
    _pairs: list[tuple[Exam, Exam]] = field(default_factory=list)

    def update(self, generated: Sequence[str | Exam], reference: Sequence[str | Exam]) -> None:
        from mammofm.reports import parse

        if len(generated) != len(reference):
            raise ValueError(f"{len(generated)} generated reports but {len(reference)} references")
        self._pairs.extend((g if isinstance(g, Exam) else parse(g),
                            r if isinstance(r, Exam) else parse(r))
                           for g, r in zip(generated, reference))

    def aggregate(self) -> dict[str, dict[str, float]]:
        return clinical_efficacy([p for p, _ in self._pairs], [r for _, r in self._pairs],
                                 n_boot=self.n_boot, seed=self.seed)

    def reset(self) -> None:
        self._pairs.clear()

    def __len__(self) -> int:
        return len(self._pairs)
