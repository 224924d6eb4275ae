"""Visual question answering: closed questions about a breast, generated from Exam records.

``vqa_head`` (light head): a small MLP on [breast features ; question embedding] picks an answer
among those of the question's type; the question embedding is a fixed hashed bag of words
(scikit-learn ``HashingVectorizer``), the same for every model, so only the image features
differ. ``vqa_zero_shot`` (CLIP models): each candidate answer is written as a report and the
breast's joint-space embedding picks the closest. Accuracy per question type and their mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..base import BenchContext, BenchModel, Task, TaskError, TaskResult, register_task
from ..features import breast_features, embedded, pooled, require_test_split, text_embeddings
from ..questions import NO, QUESTION_TYPES, YES, Question, cohort_questions

Q_DIM = 64


def _questions(ctx: BenchContext, site: str) -> pd.DataFrame:
    key = ("questions", site)
    if key not in ctx.cache:
        qs = cohort_questions(ctx.cohort_of(site).exams)
        ctx.cache[key] = pd.DataFrame([q.__dict__ for q in qs],
                                      columns=list(Question.__dataclass_fields__))
    return ctx.cache[key]


def _vocab(ctx: BenchContext) -> dict[str, list[str]]:
    """Candidate answers per question type: those of the internal cohort's questions."""
    q = _questions(ctx, "internal")
    vocab = {t: sorted(q.loc[q["qtype"] == t, "answer"].unique().tolist()) for t in QUESTION_TYPES}
    if vocab.get("mass"):
        vocab["mass"] = [NO, YES]
    if vocab.get("calcification"):
        vocab["calcification"] = [NO, YES]
    return {t: v for t, v in vocab.items() if v}


def _breast_table(feats: Any) -> tuple[pd.DataFrame, np.ndarray]:
    breasts, X = breast_features(feats)
    breasts = breasts.assign(study_id=breasts["study_id"].astype(str),
                             laterality=breasts["laterality"].astype(str))
    return breasts, X


def _join(questions: pd.DataFrame, breasts: pd.DataFrame) -> pd.DataFrame:
    """Questions with the row index of their breast (questions of unseen breasts dropped)."""
    idx = breasts[["study_id", "laterality", "split"]].reset_index().rename(
        columns={"index": "breast_row"})
    return questions.merge(idx, on=["study_id", "laterality"], how="inner")


def _accuracy(qs: pd.DataFrame, predicted: list[str]) -> dict[str, float]:
    correct = (qs["answer"].to_numpy() == np.asarray(predicted, dtype=object))
    out: dict[str, float] = {}
    per_type = []
    for t in QUESTION_TYPES:
        m = (qs["qtype"] == t).to_numpy()
        if m.any():
            out[f"accuracy_{t}"] = float(correct[m].mean())
            per_type.append(out[f"accuracy_{t}"])
    out["accuracy"] = float(np.mean(per_type)) if per_type else float("nan")
    out["n_questions"] = float(len(qs))
    return out


class _VQATask(Task):
    category = "vqa"
    primary = "accuracy"

    def prepare(self, ctx: BenchContext) -> None:
        for site, _ in ctx.sites():
            _questions(ctx, site)
        if _questions(ctx, "internal").empty:
            raise TaskError(f"{self.name}: the internal cohort's exams give no questions")

    def _result(self, per_site: dict[str, dict[str, float]], note: str) -> TaskResult:
        internal = per_site.get("internal")
        if internal is None or not np.isfinite(internal["accuracy"]):
            raise TaskError(f"{self.name}: no internal test question could be answered")
        return TaskResult(metrics=internal, primary=self.primary,
                          external=per_site.get("external", {}), notes=note)


@register_task
class VQAHead(_VQATask):
    """Closed questions answered by a light head on breast features + question embedding."""

    name = "vqa_head"
    protocol = "light_head"

    def run(self, model: BenchModel, ctx: BenchContext) -> TaskResult:
        require_test_split(ctx, self.name)
        from sklearn.feature_extraction.text import HashingVectorizer

        from ..heads import train_mlp

        vocab = _vocab(ctx)
        answers = [(t, a) for t in vocab for a in vocab[t]]
        index = {ta: i for i, ta in enumerate(answers)}
        hv = HashingVectorizer(n_features=Q_DIM, alternate_sign=False, norm="l2")

        def design(site: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
            breasts, X = _breast_table(pooled(model, ctx, site))
            qs = _join(_questions(ctx, site), breasts)
            qs = qs[qs["qtype"].isin(list(vocab))].reset_index(drop=True)
            Q = hv.transform(qs["text"].tolist()).toarray().astype(np.float32)
            D = np.concatenate([X[qs["breast_row"].to_numpy()], Q], axis=1)
            allowed = np.zeros((len(qs), len(answers)), bool)
            for i, t in enumerate(qs["qtype"]):
                allowed[i, [index[(t, a)] for a in vocab[t]]] = True
            return qs, D, allowed

        qs, D, allowed = design("internal")
        train = qs["split"].isin(["train", "val"]).to_numpy()
        y = np.array([index.get((t, a), np.nan) for t, a in zip(qs["qtype"], qs["answer"])],
                     dtype=np.float64)
        b = ctx.budget
        head = train_mlp(D[train], y[train], len(answers), hidden=128,
                         epochs=b.get("head_epochs", task=self.name),
                         lr=b.get("head_lr", task=self.name),
                         seed=ctx.seed_for(self.name, model.name), allowed=allowed[train])
        per_site: dict[str, dict[str, float]] = {}
        for site, _ in ctx.sites():
            sq, sD, sa = (qs, D, allowed) if site == "internal" else design(site)
            test = (sq["split"] == "test").to_numpy()
            if not test.any():
                continue
            p = head.predict_proba(sD[test], allowed=sa[test])
            predicted = [answers[i][1] for i in p.argmax(axis=1)]
            per_site[site] = _accuracy(sq[test].reset_index(drop=True), predicted)
        return self._result(per_site, f"light head on {int(train.sum())} training questions")


@register_task
class VQAZeroShot(_VQATask):
    """Closed questions answered by zero-shot scoring of written answers (CLIP models)."""

    name = "vqa_zero_shot"
    protocol = "zero_shot"

    def run(self, model: BenchModel, ctx: BenchContext) -> TaskResult:
        require_test_split(ctx, self.name)
        from .. import prompts

        vocab = _vocab(ctx)

        def candidates(qtype: str, lat: str) -> tuple[list[str], tuple[str, ...]]:
            if qtype in ("mass", "calcification"):
                return [NO, YES], prompts.class_prompts(qtype, lat)
            if qtype == "composition":
                from mammofm.birads.labels import COMPOSITION_CLASSES

                return list(COMPOSITION_CLASSES), prompts.class_prompts("composition_class", lat)
            if qtype == "quadrant":
                return vocab[qtype], prompts.quadrant_prompts(lat, tuple(vocab[qtype]))
            return vocab[qtype], prompts.assessment_prompts(lat, tuple(vocab[qtype]))

        per_site: dict[str, dict[str, float]] = {}
        for site, _ in ctx.sites():
            breasts, E = _breast_table(embedded(model, ctx, site))
            E = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
            qs = _join(_questions(ctx, site), breasts)
            qs = qs[(qs["split"] == "test") & qs["qtype"].isin(list(vocab))].reset_index(drop=True)
            if qs.empty:
                continue
            predicted: list[str] = []
            for t, lat, row in zip(qs["qtype"], qs["laterality"], qs["breast_row"]):
                names, texts = candidates(t, lat)
                T = text_embeddings(model, list(texts), ctx)
                predicted.append(names[int(np.argmax(T @ E[row]))])
            per_site[site] = _accuracy(qs, predicted)
        return self._result(per_site, "zero-shot: answers written as reports")
