"""Retrieval tasks: image -> image (same finding; same breast, other view) and text -> image.

Frozen embeddings go into a FAISS index (cosine); every query ranks the whole gallery and is
scored with Recall@1/5/10 and mAP. Galleries are the test images of one site, so internal and
external numbers come from the same recipe. No adaptation: protocol "frozen" (image-image,
pooled features of any encoder) or "zero_shot" (text-image, CLIP joint space).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..base import BenchContext, BenchModel, TaskError, TaskResult, register_task, Task
from ..features import embedded, pooled, require_test_split, text_embeddings
from ..metrics.retrieval import faiss_rank, ranked_relevance, retrieval_metrics

KS: tuple[int, ...] = (1, 5, 10)
#: finding labels whose shared presence makes two images "the same finding"
FINDING_COLUMNS: tuple[str, ...] = ("mass", "calcification", "asymmetry",
                                    "architectural_distortion")


def _test(feats: object) -> object:
    return feats.subset((feats.frame["split"] == "test").to_numpy())  # type: ignore[attr-defined]


def _score(queries: np.ndarray, gallery: np.ndarray, relevant: np.ndarray,
           exclude: np.ndarray | None) -> dict[str, float]:
    _, order = faiss_rank(queries, gallery)
    rel, n_rel = ranked_relevance(order, relevant, exclude)
    return retrieval_metrics(rel, n_rel, KS)


class _RetrievalTask(Task):
    category = "retrieval"
    protocol = "frozen"
    primary = "map"

    def measure(self, model: BenchModel, ctx: BenchContext, site: str) -> dict[str, float]:
        raise NotImplementedError

    def run(self, model: BenchModel, ctx: BenchContext) -> TaskResult:
        require_test_split(ctx, self.name)
        out = {site: self.measure(model, ctx, site) for site, _ in ctx.sites()}
        internal = out["internal"]
        if not np.isfinite(internal.get("map", np.nan)):
            raise TaskError(f"{self.name}: no internal test query has a relevant image")
        return TaskResult(metrics=internal, primary=self.primary,
                          external=out.get("external", {}),
                          notes=f"{int(internal['n_queries'])} internal queries")


@register_task
class SameFindingRetrieval(_RetrievalTask):
    """image -> image: other patients' test images that share a finding kind."""

    name = "retrieval_same_finding"

    def measure(self, model: BenchModel, ctx: BenchContext, site: str) -> dict[str, float]:
        t = _test(pooled(model, ctx, site))
        cols = [c for c in FINDING_COLUMNS if c in t.frame.columns]
        F = np.nan_to_num(t.frame[cols].to_numpy(dtype=np.float64)) > 0  # (N, F)
        q = np.flatnonzero(F.any(axis=1))
        if len(q) == 0:
            return retrieval_metrics(np.zeros((0, 0), bool), np.zeros(0), KS)
        relevant = (F[q].astype(int) @ F.T.astype(int)) > 0  # share >= 1 finding kind
        patients = t.frame["patient_id"].astype(str).to_numpy()
        exclude = patients[q][:, None] == patients[None, :]  # no same-patient shortcuts
        return _score(t.X[q], t.X, relevant, exclude)


@register_task
class OtherViewRetrieval(_RetrievalTask):
    """image -> image: from a CC image find the MLO image of the same breast."""

    name = "retrieval_other_view"

    def measure(self, model: BenchModel, ctx: BenchContext, site: str) -> dict[str, float]:
        t = _test(pooled(model, ctx, site))
        view = t.frame["view"].astype(str).to_numpy()
        breast = (t.frame["study_id"].astype(str) + "/" + t.frame["laterality"].astype(str)
                  ).to_numpy()
        q, g = np.flatnonzero(view == "CC"), np.flatnonzero(view == "MLO")
        if len(q) == 0 or len(g) == 0:
            return retrieval_metrics(np.zeros((0, 0), bool), np.zeros(0), KS)
        relevant = breast[q][:, None] == breast[g][None, :]
        return _score(t.X[q], t.X[g], relevant, None)


@register_task
class TextImageRetrieval(_RetrievalTask):
    """text -> image: a study's report finds that study's images (CLIP joint space)."""

    name = "retrieval_text_image"
    protocol = "zero_shot"

    def measure(self, model: BenchModel, ctx: BenchContext, site: str) -> dict[str, float]:
        t = _test(embedded(model, ctx, site))
        reports = ctx.cohort_of(site).reports
        studies = [s for s in pd.unique(t.frame["study_id"].astype(str)) if s in reports]
        if not studies:
            raise TaskError(f"{self.name}: the {site} cohort has no reports for its test studies")
        T = text_embeddings(model, [reports[s] for s in studies], ctx)
        img_study = t.frame["study_id"].astype(str).to_numpy()
        relevant = np.asarray(studies)[:, None] == img_study[None, :]
        return _score(T, t.X, relevant, None)
